"""An applicant's family pages (student profiles, proof uploads), proof downloads, and staff's verification."""
from io import BytesIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.auth.access import role_required
from portal.auth.models import Role
from portal.common.regions import region_choices
from portal.common.security import safe_next
from portal.db import local_date, today
from portal.enrollment.services import applications_to_follow
from portal.extensions import db
from portal.families import bp
from portal.families.forms import (
    DECISION_LABELS,
    DeleteDocumentForm,
    DocumentForm,
    StudentForm,
    VerificationForm,
)
from portal.families.models import (
    DOCUMENT_KIND_LABELS,
    RELATION_LABELS,
    VERIFICATION_LABELS,
    ProofDocument,
    Student,
)
from portal.families.services import (
    EDITABLE,
    FamilyError,
    add_document,
    age_on,
    applied_to_institution,
    create_student,
    delete_document,
    document_counts,
    documents_of,
    enrollments_of,
    has_applications,
    load_document,
    masked_id,
    may_see_proof,
    reviewed,
    students_of,
    update_student,
    verification_label,
    verify_proof,
)
from portal.registry.models import POVERTY_STATUS_LABELS

# Multipart framing around the file; anything larger than this plus the file limit is refused unread.
UPLOAD_OVERHEAD = 64 * 1024
# Proofs are served from the portal's own origin, so they must never run as a page. Images get a
# sandbox; PDFs cannot (Chrome refuses to start its PDF viewer in a sandboxed document).
DOCUMENT_CSP = {
    "image/jpeg": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    "image/png": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    "application/pdf": "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'",
}


@bp.record_once
def _template_globals(state):
    state.app.jinja_env.globals.update(
        RELATION_LABELS=RELATION_LABELS, VERIFICATION_LABELS=VERIFICATION_LABELS,
        DOCUMENT_KIND_LABELS=DOCUMENT_KIND_LABELS, POVERTY_STATUS_LABELS=POVERTY_STATUS_LABELS,
        DECISION_LABELS=DECISION_LABELS, masked_id=masked_id, verification_label=verification_label,
        local_date=local_date)


@bp.url_value_preprocessor
def _limit_upload_size(endpoint, values):
    # URL processors run before CSRF protection reads the body, so the limit holds from the first byte.
    if endpoint == "families.upload":
        request.max_content_length = current_app.config["PROOF_MAX_BYTES"] + UPLOAD_OVERHEAD


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(e):
    """An oversized proof (only the upload has a size limit): say so on the student's page, not in a bare 413."""
    flash(_("文件超过%(mb)dMB，请拍照时选择较小尺寸或分几次上传。",
            mb=current_app.config["PROOF_MAX_BYTES"] // 2**20), "error")
    return redirect(url_for("families.student", student_id=request.view_args["student_id"], next=_back_to()))


def _back_to() -> str | None:
    """The page the student's page was opened from to add proof (a course's application form), if on this site."""
    target = (request.args.get("next") or "").strip()
    return target if target and safe_next(target, url_for("families.family")) == target else None


def _own_student(student_id: int) -> Student:
    """The student, if they are in the current applicant's family; 404 otherwise."""
    student = db.session.get(Student, student_id)
    if student is None or student.account_id != current_user.id:
        abort(404)
    return student


@bp.get("/family")
@role_required(Role.applicant)
def family():
    """Who: applicants. Their family's student profiles, each with its verification and next step."""
    students = students_of(current_user)
    following = applications_to_follow(s.id for s in students)
    return render_template("families/family.html", students=students, today=today(),
                           documents=document_counts(s.id for s in students), age_on=age_on,
                           following=following, enrolled=enrollments_of(following.values()))


@bp.route("/family/students/new", methods=["GET", "POST"])
@bp.route("/family/students/<int:student_id>/edit", methods=["GET", "POST"])
@role_required(Role.applicant)
def edit(student_id: int | None = None):
    """Who: applicants, for students of their own family. Goes on to `next` (the application) after saving."""
    student = _own_student(student_id) if student_id is not None else None
    form = StudentForm(obj=student, next=request.args.get("next", ""))
    form.region_code.choices = [("", _("请选择"))] + region_choices(codes=False)
    if student is not None:
        form.keep_id = True
        form.id_number.description = _("已登记：%(masked)s。需要更正时填写完整的新号码，不修改请留空。",
                                       masked=masked_id(student))
        if has_applications(student):
            form.name.render_kw = {"readonly": True}
            # A blank box would look as if the number were lost: show it masked, as everywhere else.
            form.id_number.render_kw = {"readonly": True, "placeholder": masked_id(student)}
            form.name.description = form.id_number.description = _(
                "已有报名记录，姓名和身份证号不能再修改。如有错误，请联系报名学校。")
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in EDITABLE}
        try:
            if student is None:
                student = create_student(current_user, id_number=form.id_number.data, **values)
            else:
                update_student(current_user, student, id_number=form.id_number.data, **values)
        except FamilyError as e:
            getattr(form, e.field).errors.append(str(e))
        else:
            db.session.commit()
            flash(_("已保存%(name)s的资料。", name=student.name), "success")
            return redirect(_choosing(safe_next(form.next.data, url_for("families.family")), student))
    return render_template("families/edit.html", form=form, student=student)


def _choosing(target: str, student: Student) -> str:
    """`target`, and when it is a course's apply form, that form with the student chosen: a family who added,
    corrected or uploaded proof for a student from the apply form came back to apply for them, not to pick them
    again."""
    parts = urlsplit(target)
    try:
        endpoint = current_app.url_map.bind("").match(parts.path)[0]
    except HTTPException:
        return target
    if endpoint != "enrollment.apply":
        return target
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "student"] + [("student", str(student.id))]
    return urlunsplit(parts._replace(query=urlencode(query)))


@bp.get("/family/students/<int:student_id>")
@role_required(Role.applicant)
def student(student_id: int):
    """Who: applicants, for students of their own family. The profile, its verification and its proof."""
    return _student_page(_own_student(student_id), DocumentForm())


def _student_page(student: Student, form: DocumentForm):
    documents = documents_of(student)
    following = applications_to_follow([student.id]).get(student.id)
    return render_template("families/student.html", student=student, form=form, documents=documents,
                           deletable={d.id for d in documents if not reviewed(student, d)},
                           today=today(), age_on=age_on, back_to=_back_to(), following=following,
                           enrolled=enrollments_of([following] if following else []))


@bp.post("/family/students/<int:student_id>/documents")
@role_required(Role.applicant)
def upload(student_id: int):
    """Who: applicants, for students of their own family. Upload one proof document, then go back to `next`."""
    student = _own_student(student_id)
    form = DocumentForm()
    if form.validate_on_submit():
        limit = current_app.config["PROOF_MAX_BYTES"]
        try:
            add_document(current_user, student, form.kind.data, form.file.data.filename,
                         form.file.data.read(limit + 1))
        except FamilyError as e:
            form.file.errors.append(str(e))
        else:
            db.session.commit()
            flash(_("材料已上传。"), "success")
            back = _back_to()
            return redirect(_choosing(back, student) if back else url_for("families.student", student_id=student.id))
    return _student_page(student, form)


@bp.post("/family/students/<int:student_id>/documents/<int:document_id>/delete")
@role_required(Role.applicant)
def delete(student_id: int, document_id: int):
    """Who: applicants, for proof of students of their own family (else 404). Delete one not yet reviewed."""
    student = _own_student(student_id)
    document = db.session.get(ProofDocument, document_id)
    if document is None or document.student_id != student.id:
        abort(404)
    if DeleteDocumentForm().validate_on_submit():
        try:
            delete_document(current_user, student, document)
        except FamilyError as e:
            flash(str(e), "error")
        else:
            db.session.commit()
            flash(_("已删除材料：%(name)s。", name=document.filename), "success")
    return redirect(url_for("families.student", student_id=student.id))


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):
    """Who: the applicant whose family it is, staff of an institution the student applied to, and admins."""
    document = load_document(document_id)
    if document is None or not may_see_proof(current_user, document.student):
        abort(404)
    response = send_file(BytesIO(document.data), mimetype=document.content_type, download_name=document.filename)
    response.headers["Content-Security-Policy"] = DOCUMENT_CSP[document.content_type]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/manage/students/<int:student_id>/verification")
@role_required(Role.staff)
def verify(student_id: int):
    """Who: institution staff, for students who have applied to their institution. Accept or reject the proof."""
    student = db.session.get(Student, student_id)
    if student is None or not applied_to_institution(student.id, current_user.institution_id):
        abort(404)
    form = VerificationForm()
    back = safe_next(form.next.data, url_for("enrollment.review_queue"))
    if not form.validate_on_submit():
        for message in (m for messages in form.errors.values() for m in messages):
            flash(message, "error")
        return redirect(back)
    try:
        verify_proof(current_user, student, form.decision.data, form.reason.data)
    except FamilyError as e:
        flash(str(e), "error")
    else:
        db.session.commit()
        flash(_("已记录%(name)s的材料审核结果：%(result)s。", name=student.name,
                result=verification_label(student.verification)), "success")
    return redirect(back)
