"""Family rules: student profiles, registry eligibility, proof documents and staff's verification of them.

Services flush; the caller commits.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from PIL import Image
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, undefer

from portal.audit.services import record
from portal.auth.models import Role, User
from portal.common import idnumbers
from portal.common.i18n import N_
from portal.common.regions import Region
from portal.courses.models import Course
from portal.db import db, utcnow
from portal.enrollment.models import Application, ApplicationStatus, Enrollment
from portal.families.models import (
    VERIFICATION_LABELS,
    DocumentKind,
    ProofDocument,
    Relation,
    Student,
    Verification,
)
from portal.notifications.services import notify
from portal.registry.models import RegistryChange, RegistryPerson

EDITABLE = ("name", "phone", "region_code", "school", "relation")
# Staff's decisions on uploaded proof, by the value their form posts.
PROOF_DECISIONS = {"accept": Verification.proof_verified, "reject": Verification.proof_rejected}
CONTENT_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
MAX_DOCUMENTS = 20  # per student: more than any real case needs, and a bound on what one account can store


class FamilyError(ValueError):
    """A family rule was broken; `field` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def clean_name(name: str) -> str:
    return (name or "").strip(" \u3000\t")


def _name_key(name: str) -> str:
    """Names compare without the spaces people type between characters (half- or full-width)."""
    return "".join(name.split()).replace("\u3000", "")


def masked_id(student: Student) -> str:
    """The student's ID number as everyone sees it: 4601**********1234."""
    return idnumbers.mask(idnumbers.vault().decrypt(student.id_cipher))


def verification_label(verification: Verification | str) -> str:
    return _(VERIFICATION_LABELS[Verification(verification)])


# --- reading -------------------------------------------------------------------------------------

def students_of(account) -> list[Student]:
    return list(db.session.scalars(select(Student).where(Student.account_id == account.id).order_by(Student.id)))


def document_counts(student_ids) -> dict[int, int]:
    rows = db.session.execute(select(ProofDocument.student_id, func.count()).where(
        ProofDocument.student_id.in_(list(student_ids))).group_by(ProofDocument.student_id))
    return dict(rows.all())


def documents_of(student: Student) -> list[ProofDocument]:
    """The student's documents, newest first, without their content."""
    return list(db.session.scalars(select(ProofDocument).where(ProofDocument.student_id == student.id)
                                   .order_by(ProofDocument.uploaded_at.desc(), ProofDocument.id.desc())))


def enrollments_of(applications) -> dict[int, int]:
    """The enrollment of each accepted application among `applications`, by application id: the family's
    pages link straight to its admission notice. One query, none when nothing was accepted."""
    ids = [a.id for a in applications if a.status == ApplicationStatus.accepted]
    if not ids:
        return {}
    return dict(db.session.execute(select(Enrollment.application_id, Enrollment.id)
                                   .where(Enrollment.application_id.in_(ids))).tuples().all())


def has_applications(student: Student) -> bool:
    return db.session.scalar(select(exists().where(Application.student_id == student.id)))


def applied_to_institution(student_id: int, institution_id: int) -> bool:
    """Whether the student has ever applied to a course of the institution: its staff may then see the proof."""
    return db.session.scalar(select(exists().where(
        Application.student_id == student_id, Application.course_id == Course.id,
        Course.institution_id == institution_id)))


def may_see_proof(user, student: Student) -> bool:
    if user.role == Role.admin:
        return True
    if user.role == Role.staff:
        return applied_to_institution(student.id, user.institution_id)
    return user.role == Role.applicant and student.account_id == user.id


@dataclass
class Evidence:
    """What staff judge a student's eligibility by: the registry listing of their ID number, and their proof."""
    person: RegistryPerson | None = None
    documents: list[ProofDocument] = field(default_factory=list)


def evidence_for(student_ids) -> dict[int, Evidence]:
    """Evidence for each of the students, in two queries whatever their number.

    `person` is the registry listing with the student's ID number, whether or not the name matches
    or the person has since left the registry; the student's `verification` says which.
    """
    ids = list(student_ids)
    result = {student_id: Evidence() for student_id in ids}
    if not ids:
        return result
    listed = db.session.execute(select(Student.id, RegistryPerson).join(
        RegistryPerson, RegistryPerson.id_hash == Student.id_hash).where(Student.id.in_(ids)))
    for student_id, person in listed:
        result[student_id].person = person
    for document in db.session.scalars(select(ProofDocument).where(ProofDocument.student_id.in_(ids))
                                       .order_by(ProofDocument.uploaded_at, ProofDocument.id)):
        result[document.student_id].documents.append(document)
    return result


# --- eligibility ---------------------------------------------------------------------------------

def _registry_result(student: Student) -> tuple[Verification, int | None]:
    person = db.session.scalar(select(RegistryPerson).where(RegistryPerson.id_hash == student.id_hash))
    if person is None or not person.in_registry:
        return Verification.not_found, None
    if _name_key(person.name) != _name_key(student.name):
        return Verification.name_mismatch, None
    return Verification.registry_verified, person.id


def check_eligibility(student: Student, actor=None) -> Verification:
    """Match the student against the registry by ID hash and name; return the resulting state.

    The registry always wins when it verifies the student. Otherwise a staff decision on proof
    (verified or rejected) stands: only a new upload reopens a rejection. Changes of a saved
    student are audited (`actor` None means the portal itself, e.g. when applying).
    """
    before = student.verification
    result, person_id = _registry_result(student)
    if result != Verification.registry_verified and before in PROOF_DECISIONS.values():
        return before
    student.verification, student.registry_person_id = result, person_id
    if student.id is not None and result != before:
        db.session.flush()
        record(actor, "student.verification", student, before={"verification": str(before)},
               after={"verification": str(result), "reason": "registry check"})
    return result


# What a family is told when a registry import changes how a student stands, by the new state.
NOW_VERIFIED_MESSAGE = N_("%(student)s已通过建档立卡名单核验：报名扶贫班走绿色通道，学费减免和助学金按政策享受。")
NAME_DIFFERS_MESSAGE = N_("新导入的建档立卡名单中有%(student)s的身份证号，但登记的姓名不同。请核对学生档案中的姓名。")
NO_LONGER_LISTED_MESSAGE = N_("%(student)s已不在最新的建档立卡名单中。如仍属建档立卡家庭，可上传证明材料，由学校审核。")
REGISTRY_NEWS = {
    Verification.registry_verified: NOW_VERIFIED_MESSAGE,
    Verification.name_mismatch: NAME_DIFFERS_MESSAGE,
    Verification.not_found: NO_LONGER_LISTED_MESSAGE,
}


def recheck_after_import(import_id: int) -> int:
    """Check again the students whose registry listing this import added or changed, so a family is
    recognised (or no longer) without touching their profile; their waiting applications follow,
    and the family is told. Returns how many students' verification changed."""
    touched = or_(RegistryPerson.first_import_id == import_id, exists().where(
        RegistryChange.person_id == RegistryPerson.id, RegistryChange.import_id == import_id))
    students = db.session.scalars(select(Student).join(RegistryPerson, RegistryPerson.id_hash == Student.id_hash)
                                  .where(touched).order_by(Student.id)).all()
    # Built from the URL map: imports also run from the CLI and as jobs, with no request.
    link = current_app.url_map.bind("").build("families.family")
    changed = 0
    for student in students:
        before = student.verification
        if check_eligibility(student) == before:
            continue
        changed += 1
        _green_channel_follows(None, student)
        # A registry check ends in one of the registry's own states, each with its news.
        notify(db.session.get(User, student.account_id), REGISTRY_NEWS[student.verification], link,
               student=student.name)
    return changed


# --- profiles ------------------------------------------------------------------------------------

def _clean_id(raw: str) -> str:
    number = idnumbers.normalize(raw)
    if message := idnumbers.problem(number):
        raise FamilyError("id_number", _(message))
    return number


def _refuse_if_claimed(actor, id_hash: bytes) -> None:
    owner = db.session.execute(select(Student.account_id, Student.name).where(Student.id_hash == id_hash)).first()
    if owner is None:
        return
    if owner.account_id == actor.id:
        raise FamilyError("id_number", _("这个身份证号已在您的家庭中（%(name)s），不用重复添加。", name=owner.name))
    raise FamilyError("id_number", _("该身份证号已由其他账号登记。如果这是您家孩子，请联系报名学校确认。"))


def _checked_values(values: dict, number: str) -> dict:
    values = {k: values[k] for k in EDITABLE if k in values}
    values["name"] = clean_name(values["name"])
    if not values["name"]:
        raise FamilyError("name", _("请填写学生姓名。"))
    # Left blank, the household region is the one the ID number was issued in, when it still exists.
    values["region_code"] = values.get("region_code") or number[:6]
    if db.session.get(Region, values["region_code"]) is None:
        raise FamilyError("region_code", _("请选择户籍所在地区。"))
    values["relation"] = Relation(values["relation"])
    values["phone"], values["school"] = values.get("phone") or "", (values.get("school") or "").strip()
    return values


def _set_id(student: Student, number: str, id_hash: bytes) -> None:
    student.id_hash, student.id_cipher = id_hash, idnumbers.vault().encrypt(number)
    student.birth_date, student.sex = idnumbers.birth_date(number), idnumbers.sex(number)


def _save(actor, student: Student) -> None:
    """Flush in a savepoint: the unique ID hash is the last line against two accounts claiming one number."""
    try:
        with db.session.begin_nested():
            db.session.add(student)
            db.session.flush()
    except IntegrityError:
        _refuse_if_claimed(actor, student.id_hash)
        raise


def create_student(actor, *, id_number: str, **values) -> Student:
    """Add a student to the actor's family; `values` are EDITABLE fields."""
    number = _clean_id(id_number)
    id_hash = idnumbers.vault().hash(number)
    _refuse_if_claimed(actor, id_hash)
    values = _checked_values(values, number)
    student = Student(account_id=actor.id, verification=Verification.not_found, **values)
    _set_id(student, number, id_hash)
    check_eligibility(student)
    _save(actor, student)
    record(actor, "student.create", student, after={
        "name": student.name, "id_number": idnumbers.mask(number), "relation": str(student.relation),
        "region_code": student.region_code, "verification": str(student.verification)})
    return student


def update_student(actor, student: Student, *, id_number: str = "", **values) -> Student:
    """Change a profile. A blank `id_number` keeps the current one. Name and ID are fixed once applied."""
    current = idnumbers.vault().decrypt(student.id_cipher)
    number = _clean_id(id_number) if id_number else current
    values = _checked_values(values, number)
    new_id, renamed = number != current, values["name"] != student.name
    if (new_id or renamed) and has_applications(student):
        raise FamilyError("id_number" if new_id else "name",
                          _("已有报名记录，姓名和身份证号不能再修改。如有错误，请联系报名学校。"))
    before = {k: getattr(student, k) for k in EDITABLE}
    if new_id:
        id_hash = idnumbers.vault().hash(number)
        _refuse_if_claimed(actor, id_hash)
        _set_id(student, number, id_hash)
    for key, value in values.items():
        setattr(student, key, value)
    changed = {k: str(getattr(student, k)) for k in EDITABLE if before[k] != getattr(student, k)}
    old = {k: str(before[k]) for k in changed}
    if new_id:
        old["id_number"], changed["id_number"] = idnumbers.mask(current), idnumbers.mask(number)
    if changed:
        _save(actor, student)
        record(actor, "student.update", student, before=old, after=changed)
    check_eligibility(student, actor)
    return student


# --- proof documents -----------------------------------------------------------------------------

def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (JPEG, PNG or PDF), or None. Names and browsers' claims are ignored."""
    if data.startswith(b"%PDF-"):
        return "application/pdf" if b"%%EOF" in data[-2048:] else None
    formats = {b"\xff\xd8\xff": ("JPEG", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("PNG", "image/png")}
    for magic, (pillow_format, content_type) in formats.items():
        if data.startswith(magic):
            try:
                with Image.open(BytesIO(data)) as image:
                    if image.format != pillow_format:
                        return None
                    image.verify()
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
                return None
            return content_type
    return None


def _stored_name(filename: str, content_type: str) -> str:
    """The uploaded name without folders, with the extension of what the file really is."""
    stem = PurePosixPath((filename or "").replace("\\", "/")).stem.strip()[:100] or _("证明材料")
    return stem + CONTENT_TYPES[content_type]


def add_document(actor, student: Student, kind: DocumentKind | str, filename: str, data: bytes) -> ProofDocument:
    """Store an uploaded proof. A rejected student's new proof puts them back in staff's queue."""
    limit = current_app.config["PROOF_MAX_BYTES"]
    if not data:
        raise FamilyError("file", _("文件是空的，请重新选择要上传的文件。"))
    if len(data) > limit:
        raise FamilyError("file", _("文件超过%(mb)dMB，请拍照时选择较小尺寸或分几次上传。", mb=limit // 2**20))
    content_type = sniff(data)
    if content_type is None:
        raise FamilyError("file", _("只能上传JPG、PNG图片或PDF文件。这个文件不是其中一种，或者已损坏。"))
    digest = hashlib.sha256(data).hexdigest()
    same = select(ProofDocument.id).where(ProofDocument.student_id == student.id)
    if db.session.scalar(same.where(ProofDocument.sha256 == digest).limit(1)) is not None:
        raise FamilyError("file", _("这个文件已经上传过了。"))
    if db.session.scalar(select(func.count()).select_from(same.subquery())) >= MAX_DOCUMENTS:
        raise FamilyError("file", ngettext("每个学生最多上传%(num)d份材料。", "每个学生最多上传%(num)d份材料。",
                                           MAX_DOCUMENTS))
    document = ProofDocument(student_id=student.id, kind=DocumentKind(kind), content_type=content_type,
                             filename=_stored_name(filename, content_type), size=len(data), sha256=digest, data=data,
                             uploaded_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    record(actor, "proof_document.upload", document, after={
        "student_id": student.id, "kind": str(document.kind), "filename": document.filename,
        "content_type": content_type, "size": document.size, "sha256": digest})
    if student.verification == Verification.proof_rejected:
        # No staff decision stands any more: the registry's answer applies until staff look again.
        result, student.registry_person_id = _registry_result(student)
        student.verification = result
        db.session.flush()
        record(actor, "student.verification", student, before={"verification": str(Verification.proof_rejected)},
               after={"verification": str(result), "reason": "new proof uploaded"})
    return document


def reviewed(student: Student, document: ProofDocument) -> bool:
    """Whether staff have judged the document: it was there when they last decided on the student's proof."""
    return student.verified_at is not None and document.uploaded_at <= student.verified_at


def delete_document(actor, student: Student, document: ProofDocument) -> None:
    """Delete a proof the family uploaded by mistake. One staff have judged stays: it is their decision's evidence.

    A new proof reopens staff's rejection (see add_document); once the family deletes the last new one,
    the rejection stands again, so staff are not asked to look again at what they turned down."""
    if reviewed(student, document):
        raise FamilyError("file", _("学校已经审核过这份材料，不能删除。如有疑问，请联系报名学校。"))
    record(actor, "proof_document.delete", document, before={
        "student_id": student.id, "kind": str(document.kind), "filename": document.filename,
        "size": document.size, "sha256": document.sha256})
    db.session.delete(document)
    db.session.flush()
    reopened = student.verified_at is not None and student.verification not in (
        Verification.registry_verified, *PROOF_DECISIONS.values())
    if reopened and not db.session.scalar(select(exists().where(
            ProofDocument.student_id == student.id, ProofDocument.uploaded_at > student.verified_at))):
        before, student.verification = student.verification, Verification.proof_rejected
        db.session.flush()
        record(actor, "student.verification", student, before={"verification": str(before)},
               after={"verification": str(student.verification), "reason": "new proof deleted"})


def load_document(document_id: int) -> ProofDocument | None:
    """A document with its content and its student, in one query."""
    return db.session.scalar(select(ProofDocument).join(ProofDocument.student)
                             .options(contains_eager(ProofDocument.student), undefer(ProofDocument.data))
                             .where(ProofDocument.id == document_id))


# --- staff's verification ------------------------------------------------------------------------

# What a family is told when staff decide on the proof they uploaded: a rejection must reach them, as
# only new proof reopens it.
PROOF_ACCEPTED_MESSAGE = N_("学校已审核通过%(student)s的证明材料：报名扶贫班走绿色通道，学费减免和助学金按政策享受。")
# The reason, as staff typed it, comes last: it may or may not end in a full stop.
PROOF_REJECTED_MESSAGE = N_("%(student)s的证明材料没有通过学校审核，可以上传新的材料，学校会重新审核。理由：%(reason)s")
PROOF_NEWS = {Verification.proof_verified: PROOF_ACCEPTED_MESSAGE,
              Verification.proof_rejected: PROOF_REJECTED_MESSAGE}

def verify_proof(actor, student: Student, decision: str, reason: str) -> Student:
    """Staff accept or reject a student's proof, with their reason."""
    if student.verification == Verification.registry_verified:
        raise FamilyError("decision", _("这个学生已通过建档立卡名单核验，不需要审核证明材料。"))
    if not db.session.scalar(select(exists().where(ProofDocument.student_id == student.id))):
        raise FamilyError("decision", _("这个学生还没有上传证明材料，无法审核。"))
    reason = (reason or "").strip()
    if not reason:
        raise FamilyError("reason", _("请填写审核理由。"))
    before = student.verification
    student.verification = PROOF_DECISIONS[decision]
    student.verified_by_id, student.verified_at, student.verification_note = actor.id, utcnow(), reason
    db.session.flush()
    record(actor, "student.verification", student, before={"verification": str(before)},
           after={"verification": str(student.verification), "reason": reason})
    _green_channel_follows(actor, student)
    # The student's page says where they stand and takes new proof.
    link = current_app.url_map.bind("").build("families.student", {"student_id": student.id})
    notify(db.session.get(User, student.account_id), PROOF_NEWS[student.verification], link,
           student=student.name, reason=reason)
    return student


def _green_channel_follows(actor, student: Student) -> None:
    """Applications still waiting for a decision take the green channel from the student's new state.

    Staff see proof only once the student has applied, so an accepted proof must reach the
    applications already made: their place in the queue and on the waiting list, and a reserved place,
    which a student waiting on its course's list takes at once when one is free.
    """
    from portal.enrollment.services import promote  # enrollment builds on this module

    waiting = db.session.scalars(select(Application).where(
        Application.student_id == student.id, Application.green_channel != student.verified,
        Application.status.in_(("submitted", "under_review", "waitlisted")))).all()
    for application in waiting:
        application.green_channel = student.verified
        record(actor, "application.green_channel", application, before={"green_channel": not student.verified},
               after={"green_channel": student.verified})
    db.session.flush()
    if student.verified:
        for course_id in sorted({a.course_id for a in waiting if a.status == ApplicationStatus.waitlisted}):
            promote(db.session.get(Course, course_id))
