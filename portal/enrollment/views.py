"""Applying to a course, the applicant's applications page and actions, and staff's review queue."""
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.auth.access import role_required
from portal.auth.models import Role, User
from portal.common.security import safe_next
from portal.courses import reports_when
from portal.courses.models import Course, CourseStatus
from portal.courses.services import load_course
from portal.db import today
from portal.enrollment import bp
from portal.enrollment.forms import DECISIONS, ActionForm, ApplyForm, BulkDecisionForm, DecisionForm, QueueFilterForm
from portal.enrollment.models import STATUS_LABELS, TRANSITIONS, Application, ApplicationStatus, Enrollment
from portal.enrollment.services import (
    SYSTEM_REASONS,
    EnrollmentError,
    QueueFilters,
    family_application,
    family_applications,
    family_for_course,
    green_channel_matters,
    institution_application,
    institution_applications,
    lapse_overdue,
    places_open_to,
    queue_page,
    submit_application,
    timelines,
    transition,
    waitlist_positions,
)
from portal.extensions import db
from portal.families.models import Student
from portal.families.services import document_counts, evidence_for

S = ApplicationStatus
QUEUE_PAGE_SIZE = 50
MAX_QUEUE_PAGE = 10_000
# A refused bulk decision waits in the session for the queue to show it once. The session is a cookie of
# about 4 KB: room for a page of ticks and a reason a little over the 500 characters the form accepts.
BULK_REFUSED = "queue_bulk_refused"
BULK_REASON_KEPT = 600
# Likewise a refused decision on one application's review page.
DECISION_REFUSED = "review_decision_refused"


@bp.record_once
def _template_globals(state):
    state.app.jinja_env.globals.update(APPLICATION_STATUS_LABELS=STATUS_LABELS, SYSTEM_REASONS=SYSTEM_REASONS,
                                       DECISIONS=DECISIONS, green_channel_matters=green_channel_matters)


# --- applicants ---------------------------------------------------------------------------------

@bp.route("/courses/<int:course_id>/apply", methods=["GET", "POST"])
@role_required(Role.applicant)
def apply(course_id: int):
    """Who: applicants. Choose which of the family's students applies to a published course."""
    course = load_course(course_id)
    if course is None or course.status == CourseStatus.draft:
        abort(404)
    family = family_for_course(current_user, course.id)
    students = [student for student, has_applied in family]
    applied = {student.id for student, has_applied in family if has_applied}
    form = ApplyForm()
    form.student_id.choices = [(s.id, s.name) for s in students]
    error = None
    if form.validate_on_submit():
        student = next(s for s in students if s.id == form.student_id.data)
        try:
            application = submit_application(current_user, student, course, today())
        except EnrollmentError as e:
            error = e.message
        else:
            db.session.commit()
            if application.status == S.admitted:
                flash(_("%(name)s已通过绿色通道直接录取！请在%(date)s前确认入学。", name=student.name,
                        date=format_date(application.offer_expires_on, "long")), "success")
            elif course.seats_left <= 0:
                flash(_("已为%(name)s提交报名。这门课程名额已满，学校审核后会列入候补名单，有人放弃名额时按顺序递补。",
                        name=student.name), "success")
            else:
                flash(_("已为%(name)s提交报名，请等待学校审核。", name=student.name), "success")
            return redirect(url_for("enrollment.my_applications"))
    # Whether the student is recognised as poor decides the green channel: say where each one stands.
    green_matters = green_channel_matters(course)
    proofs = document_counts(s.id for s in students if s.id not in applied) if green_matters and students else {}
    return render_template("enrollment/apply.html", course=course, students=students, applied=applied, form=form,
                           state=course.application_state(today()), error=error, green_matters=green_matters,
                           proofs=proofs)


@bp.get("/applications")
@role_required(Role.applicant)
def my_applications():
    """Who: applicants. Each of the family's students with their applications, timelines and next steps."""
    if lapse_overdue(today(), Application.student_id.in_(
            select(Student.id).where(Student.account_id == current_user.id))):
        db.session.commit()
    family = family_applications(current_user)
    return render_template("enrollment/applications.html", family=family,
                           proofs=document_counts(entry.student.id for entry in family))


def _applicant_move(application_id: int, to: ApplicationStatus, done: Callable[[Course], str]):
    """Move the family's application; `done` words the success message for its course."""
    application = family_application(current_user, application_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            transition(current_user, application, to)
        except EnrollmentError as e:
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(done(db.session.get(Course, application.course_id)), "success")
    return redirect(url_for("enrollment.my_applications"))


@bp.post("/applications/<int:application_id>/accept")
@role_required(Role.applicant)
def accept(application_id: int):
    """Who: the applicant whose family the application is for (else 404). Accept the offered place."""
    return _applicant_move(application_id, S.accepted, lambda course: escape(
        _("已确认入学。请下载录取通知书，到校报到时间：%(when)s。")) % {"when": reports_when(course)})


@bp.post("/applications/<int:application_id>/decline")
@role_required(Role.applicant)
def decline(application_id: int):
    """Who: the applicant whose family the application is for (else 404). Give the offered place up."""
    return _applicant_move(application_id, S.declined, lambda course: _("已放弃这个名额，名额会让给候补的同学。"))


@bp.post("/applications/<int:application_id>/withdraw")
@role_required(Role.applicant)
def withdraw(application_id: int):
    """Who: the applicant whose family the application is for (else 404). Withdraw before enrolling."""
    return _applicant_move(application_id, S.withdrawn, lambda course: _("已撤回报名。"))


# --- staff --------------------------------------------------------------------------------------

def _queue_filters(form: QueueFilterForm, args: MultiDict, course_ids: set[int]) -> QueueFilters:
    """The filters as given, with any value that is not one of the choices (a stale link) ignored."""
    form.validate()
    course = args.get("course", type=int)
    return QueueFilters(
        course_id=course if course in course_ids else None,
        green={"yes": True, "no": False}.get(form.green.data) if not form.green.errors else None,
        verification="" if form.verification.errors else form.verification.data or "",
        status="pending" if form.status.errors or not form.status.data else form.status.data)


def _queue_back(target: str | None) -> str:
    """`target` if it is the review queue (as filtered), else the queue: decisions return there and nowhere else."""
    queue = url_for("enrollment.review_queue")
    back = safe_next(target, queue)
    return back if urlsplit(back).path == queue else queue


@bp.get("/manage/applications")
@role_required(Role.staff)
def review_queue():
    """Who: institution staff. Their institution's applications, filtered; by default those awaiting a decision."""
    return _queue_page(request.args, _refused_bulk_form, request.full_path)


def _refused_bulk_form() -> BulkDecisionForm:
    """The bulk form as last refused, its ticks, reason and errors, shown once; else an empty one."""
    refused = session.pop(BULK_REFUSED, None)
    if refused is None:
        return BulkDecisionForm(formdata=None)
    form = BulkDecisionForm(formdata=None, data={"application_ids": refused["ids"], "reason": refused["reason"]})
    for name, messages in refused["errors"].items():
        form[name].errors = messages
    return form


def _queue_page(args: MultiDict, bulk_form: Callable[[], BulkDecisionForm], back: str):
    """The queue filtered by `args`, with the bulk form `bulk_form` gives (its ticks, reason and errors) returning
    to `back`. A page past the last (decisions made on it moved its rows away) goes to the last."""
    institution_id = current_user.institution_id
    own_courses = select(Course.id).where(Course.institution_id == institution_id)
    if lapse_overdue(today(), Application.course_id.in_(own_courses)):
        db.session.commit()
    courses = db.session.execute(select(Course.id, Course.title).where(Course.institution_id == institution_id)
                                 .order_by(Course.start_date.desc(), Course.id.desc())).all()
    form = QueueFilterForm(args)
    form.course.choices = [("", _("全部课程"))] + [(str(c.id), c.title) for c in courses]
    filters = _queue_filters(form, args, {c.id for c in courses})
    page = min(max(1, args.get("page", 1, type=int)), MAX_QUEUE_PAGE)
    results = queue_page(institution_id, filters, page, QUEUE_PAGE_SIZE)
    page_args = {k: v for k, v in args.items() if k != "page" and v}
    if page > results.pages:
        return redirect(url_for("enrollment.review_queue", page=results.pages, **page_args))
    bulk_form = bulk_form()
    return render_template("enrollment/queue.html", form=form, results=results, page_args=page_args,
                           review_back=back if args else None,
                           positions=waitlist_positions(results.rows),
                           bulk_form=bulk_form, picked=set(bulk_form.application_ids.data or ()), back=back,
                           course_choices=form.course.choices)


def _review_page(application: Application, form: DecisionForm):
    steps = timelines([application.id])[application.id]
    proof = evidence_for([application.student_id])[application.student_id]
    position = waitlist_positions([application]).get(application.id)
    # The family's account holder: who staff call when the student's own phone is not given.
    holder = db.session.get(User, application.student.account_id)
    # An enrolled student's notice, for a family who lost theirs or has no printer.
    enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.application_id == application.id)) \
        if application.status == S.accepted else None
    back = _queue_back(form.next.data)
    return render_template("enrollment/review.html", application=application, student=application.student,
                           back=back, enrollment_id=enrollment_id, holder=holder,
                           course=application.course, timeline=steps, proof=proof, position=position,
                           general_left=places_open_to(application.course, False), form=form,
                           allowed=[d for d in DECISIONS if d in TRANSITIONS[application.status]])


@bp.get("/manage/applications/<int:application_id>")
@role_required(Role.staff)
def review(application_id: int):
    """Who: staff of the institution the application is to (else 404). The student, evidence, timeline, decisions."""
    application = institution_application(current_user.institution_id, application_id) or abort(404)
    return _review_page(application, _refused_decision_form(application.id, request.args.get("back")))


def _refused_decision_form(application_id: int, back: str | None) -> DecisionForm:
    """The decision form as last refused for this application, its reason and errors, shown once; else an empty one."""
    refused = session.pop(DECISION_REFUSED, None)
    if refused is None or refused["id"] != application_id:
        return DecisionForm(formdata=None, data={"next": back})
    form = DecisionForm(formdata=None, data={"next": back, "reason": refused["reason"]})
    for name, messages in refused["errors"].items():
        form[name].errors = messages
    return form


def _review_url(application_id: int, back: str, anchor: str | None = None) -> str:
    """The review page, returning to the queue as `back` filtered it."""
    return url_for("enrollment.review", application_id=application_id,
                   back=back if back != url_for("enrollment.review_queue") else None, _anchor=anchor)


@bp.post("/manage/applications/<int:application_id>/decision")
@role_required(Role.staff)
def decide(application_id: int):
    """Who: staff of the institution the application is to (else 404). Admit, waitlist, reject or mark under review.
    A form with an error goes back to the review page by a redirect, its reason and message kept, so the page's
    address stays one that can be opened again (reloading it, or switching language, sends nothing)."""
    application = institution_application(current_user.institution_id, application_id) or abort(404)
    form = DecisionForm()
    back = _queue_back(form.next.data)
    if not form.validate_on_submit():
        session[DECISION_REFUSED] = {
            "id": application.id, "reason": (form.reason.data or "")[:BULK_REASON_KEPT],
            "errors": {f.name: [str(e) for e in f.errors] for f in form if f.errors}}
        return redirect(_review_url(application.id, back, "decision-title"))
    to = S(form.decision.data)
    try:
        transition(current_user, application, to, (form.reason.data or "").strip())
    except EnrollmentError as e:
        flash(e.message, "error")
        return redirect(_review_url(application.id, back))
    flash(_("已处理%(name)s的报名：%(status)s。", name=application.student.name, status=_(STATUS_LABELS[to])),
          "success")
    _flash_free_places(_free_places([application]) if to == S.waitlisted else [])
    db.session.commit()
    return redirect(back)


@bp.post("/manage/applications/bulk")
@role_required(Role.staff)
def bulk_decide():
    """Who: institution staff; only their institution's applications are touched. One decision for every one ticked.
    A form with an error goes back to the queue as it was filtered, ticks and reason kept, to correct and send
    again: by a redirect, so reloading that page shows the queue rather than sending the form a second time."""
    form = BulkDecisionForm()
    back = _queue_back(form.next.data)
    if not form.validate_on_submit():
        session[BULK_REFUSED] = {
            "ids": list(dict.fromkeys(form.application_ids.data or ()))[:QUEUE_PAGE_SIZE],
            "reason": (form.reason.data or "")[:BULK_REASON_KEPT],
            "errors": {f.name: [str(e) for e in f.errors] for f in form if f.errors}}
        # To the form and its message, below a page of up to fifty rows that would hide it on a phone.
        return redirect(back + "#bulk")
    ids = list(dict.fromkeys(form.application_ids.data))
    found = institution_applications(current_user.institution_id, ids)
    to, reason = S(form.decision.data), (form.reason.data or "").strip()
    done, failed, moved = 0, [], []
    for application_id in ids:
        application = found.get(application_id)
        if application is None:
            failed.append(_("报名%(id)d：找不到这份报名。", id=application_id))
            continue
        try:
            transition(current_user, application, to, reason)
        except EnrollmentError as e:
            failed.append(_("%(name)s（%(course)s）：%(why)s", name=application.student.name,
                            course=application.course.title, why=e.message))
        else:
            done += 1
            moved.append(application)
    free = _free_places(moved) if to == S.waitlisted else []
    db.session.commit()
    if done:  # "0 handled" would read as a success when none was
        flash(ngettext("已处理%(num)d份报名：%(status)s。", "已处理%(num)d份报名：%(status)s。", done,
                       status=_(STATUS_LABELS[to])), "success")
    if failed:
        flash(ngettext("%(num)d份没有处理：%(reasons)s", "%(num)d份没有处理：%(reasons)s", len(failed),
                       reasons=_("；").join(failed)), "error")
    _flash_free_places(free)
    return redirect(back)


def _free_places(waitlisted: list[Application]) -> list[tuple[str, int]]:
    """The courses of the applications just waitlisted that still have places they could take, with how
    many: waitlisting is staff's call, but one made while places are free is worth a second look."""
    free: dict[int, tuple[str, int]] = {}
    for application in waitlisted:
        course = application.course
        places = places_open_to(course, application.green_channel)
        if places > free.get(course.id, ("", 0))[1]:
            free[course.id] = (course.title, places)
    return list(free.values())


def _flash_free_places(free: list[tuple[str, int]]) -> None:
    for title, places in free:
        flash(ngettext("“%(course)s”还有%(num)d个名额空着，候补的报名可以直接录取。",
                       "“%(course)s”还有%(num)d个名额空着，候补的报名可以直接录取。", places, course=title), "info")
