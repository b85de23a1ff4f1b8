"""User accounts and their roles."""
import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, utcnow


class Role(enum.StrEnum):
    applicant = "applicant"
    staff = "staff"
    finance = "finance"
    admin = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('applicant', 'staff', 'finance', 'admin')", name="role_known"),
        CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL", name="has_login"),
        CheckConstraint("role != 'staff' OR institution_id IS NOT NULL", name="staff_has_institution"),
        CheckConstraint("role != 'finance' OR region_code IS NOT NULL", name="finance_has_region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(String(16), default=Role.applicant)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    active: Mapped[bool] = mapped_column(default=True)
    # Set by a reset to a temporary password: the account must choose its own before using the portal.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When that temporary password stops opening the account (None for a password its holder chose).
    password_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    institution = relationship("Institution", lazy="joined")
    region = relationship("Region")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def session_stamp(self) -> str:
        """Changes whenever the password does, so a session logged in before a change can be told apart."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """What a session keeps: the account's id and the stamp of the password it logged in with."""
        return f"{self.id}:{self.session_stamp}"

    @property
    def login_name(self) -> str:
        return self.mobile or self.email

    def is_staff_of(self, institution_id: int) -> bool:
        return self.role == Role.staff and self.institution_id == institution_id
