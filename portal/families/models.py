"""Student profiles an applicant account keeps for its family, their eligibility, and proof documents."""
import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.common.i18n import N_
from portal.db import db, one_of, utcnow


class Relation(enum.StrEnum):
    self = "self"  # 本人
    child = "child"  # 子女
    grandchild = "grandchild"  # 孙子女、外孙子女
    other = "other"  # 其他（监护人）


RELATION_LABELS = {
    Relation.self: N_("本人"),
    Relation.child: N_("子女"),
    Relation.grandchild: N_("孙子女／外孙子女"),
    Relation.other: N_("其他亲属（监护人）"),
}


class Verification(enum.StrEnum):
    registry_verified = "registry_verified"  # ID hash and name match a person in the registry
    name_mismatch = "name_mismatch"  # the ID is in the registry under another name
    not_found = "not_found"  # the ID is not in the registry (or has left it)
    proof_verified = "proof_verified"  # staff checked the uploaded proof and accepted it
    proof_rejected = "proof_rejected"  # staff checked the uploaded proof and refused it


VERIFICATION_LABELS = {
    Verification.registry_verified: N_("建档立卡已核验"),
    Verification.name_mismatch: N_("姓名与建档立卡名单不符"),
    Verification.not_found: N_("未在建档立卡名单中"),
    Verification.proof_verified: N_("证明材料已核验"),
    Verification.proof_rejected: N_("证明材料未通过"),
}

# Verified students count as poor households for priority and benefits.
VERIFIED = frozenset({Verification.registry_verified, Verification.proof_verified})


class Student(db.Model):
    __tablename__ = "students"
    __table_args__ = (
        CheckConstraint(one_of("relation", Relation), name="relation_known"),
        CheckConstraint(one_of("verification", Verification), name="verification_known"),
        CheckConstraint("sex IN ('male', 'female')", name="sex_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # One ID number belongs to one account: the unique keyed hash (portal.common.idnumbers).
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    birth_date: Mapped[date] = mapped_column()
    sex: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str] = mapped_column(String(20), default="")
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))  # household region
    school: Mapped[str] = mapped_column(String(128), default="")
    relation: Mapped[Relation] = mapped_column(String(16))  # to the account holder
    verification: Mapped[Verification] = mapped_column(String(24))
    registry_person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_people.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column()
    verification_note: Mapped[str] = mapped_column(Text, default="")  # staff's reason
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account = relationship("User", foreign_keys=[account_id], lazy="raise")
    registry_person = relationship("RegistryPerson", lazy="raise")
    region = relationship("Region", lazy="raise")

    def __repr__(self) -> str:
        return f"<Student {self.id} {self.name}>"

    @property
    def verified(self) -> bool:
        return self.verification in VERIFIED


class DocumentKind(enum.StrEnum):
    poverty_certificate = "poverty_certificate"  # 贫困证明
    household_register = "household_register"  # 户口簿
    other = "other"


DOCUMENT_KIND_LABELS = {
    DocumentKind.poverty_certificate: N_("贫困证明"),
    DocumentKind.household_register: N_("户口簿"),
    DocumentKind.other: N_("其他证明"),
}


class ProofDocument(db.Model):
    """An uploaded proof (JPEG, PNG or PDF, at most 5 MB), kept in the database."""
    __tablename__ = "proof_documents"
    __table_args__ = (
        CheckConstraint(one_of("kind", DocumentKind), name="kind_known"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="type_allowed"),
        CheckConstraint("size > 0 AND size <= 5242880", name="size_allowed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))  # sniffed from the content
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    student = relationship("Student", lazy="raise")

    def __repr__(self) -> str:
        return f"<ProofDocument {self.id} {self.kind} student {self.student_id}>"
