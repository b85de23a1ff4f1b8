"""Institutions, identified by their 统一社会信用代码 and placed by a 行政区划代码."""
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import db, utcnow


class InstitutionKind(enum.StrEnum):
    technical_college = "technical_college"  # 技工院校
    training_centre = "training_centre"  # 职业培训机构


class Institution(db.Model):
    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint("kind IN ('technical_college', 'training_centre')", name="kind_known"),
        CheckConstraint("length(uscc) = 18", name="uscc_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[InstitutionKind] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region = relationship("Region", lazy="joined")

    def __repr__(self) -> str:
        return f"<Institution {self.id} {self.name}>"
