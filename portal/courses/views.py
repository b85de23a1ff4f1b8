"""Home page, catalog, course page, and staff management of their institution's courses."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from portal.auth.access import role_required
from portal.auth.models import Role
from portal.common.cache import public_page, reference_data
from portal.common.money import fen_to_yuan, yuan_to_fen
from portal.common.regions import place_name, region_choices, region_tree
from portal.courses import bp
from portal.courses.forms import (
    STATUS_ACTIONS,
    CatalogFilterForm,
    CourseForm,
    StatusForm,
)
from portal.courses.models import STATUS_TRANSITIONS, Course, CourseStatus
from portal.courses.services import (
    CatalogQuery,
    CourseError,
    change_status,
    course_problems,
    create_course,
    load_course,
    poverty_class_places,
    publishing_problem,
    search_catalog,
    trades,
    update_course,
)
from portal.db import today
from portal.enrollment.services import family_for_course, open_offers, promote, tell_report_change
from portal.extensions import db

# Far past any real catalog; keeps OFFSET inside the database's integer range.
MAX_CATALOG_PAGE = 100_000


@reference_data
def _region_option_tags(locale: str) -> dict[str, str]:
    """The catalog's region <option>s for the current language, `locale` (its cache key)."""
    return {code: f'<option value="{code}">{"　" * depth}{escape(place_name(name))}</option>'
            for code, name, depth in region_tree()}


def region_options(tags: dict[str, str], selected: str) -> Markup:
    """The catalog's region <option>s, drawn once per process: there are nearly two hundred."""
    return Markup("".join(tag.replace('">', '" selected>', 1) if code == selected else tag
                          for code, tag in tags.items()))


@bp.get("/")
@public_page
def home():
    """Who: anyone. Search first, then the 扶贫班 places still open; a family sees its offers to confirm above."""
    applicant = current_user.is_authenticated and current_user.role == Role.applicant
    offers = open_offers(current_user, today()) if applicant else []
    return render_template("courses/home.html", places=poverty_class_places(today()), offers=offers)


@bp.get("/courses")
@public_page
def catalog():
    """Who: anyone. Search and filter published courses."""
    form = CatalogFilterForm(request.args)
    form.validate()
    region_tags, trade_names = _region_option_tags(str(get_locale())), trades()
    for field in (form.level, form.kind, form.mode, form.within_days, form.sort):
        if field.errors:  # a hand-edited or stale link: ignore the bad filter rather than match nothing
            field.data, field.errors = "", []
    query = CatalogQuery(
        q=(form.q.data or "").strip(),
        region=form.region.data if form.region.data in region_tags else "",
        trade=form.trade.data if form.trade.data in trade_names else "",
        level=form.level.data or "", kind=form.kind.data or "", mode=form.mode.data or "",
        free_only=form.free_only.data, green_left=form.green_left.data,
        within_days=int(form.within_days.data) if form.within_days.data else None,
        sort=form.sort.data or "start",
        page=min(max(1, request.args.get("page", 1, type=int)), MAX_CATALOG_PAGE))
    results = search_catalog(query, today(), current_app.config["CATALOG_PAGE_SIZE"], trade_names)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    if query.page > results.pages:  # a page past the last, from an old link or fewer matches now
        return redirect(url_for("courses.catalog", page=results.pages, **args))
    return render_template("courses/catalog.html", form=form, results=results, page_args=args,
                           region_options=region_options(region_tags, query.region),
                           trade_choices=[(t, t) for t in trade_names])


@bp.get("/courses/<int:course_id>")
@public_page
def detail(course_id: int):
    """Who: anyone for a published or closed course; its own institution's staff and the admin for a draft."""
    course = load_course(course_id) or abort(404)
    if course.status == CourseStatus.draft and not (_may_manage(course) or _is_admin()):
        abort(404)
    return render_template("courses/detail.html", course=course, application_state=course.application_state(today()),
                           applied=_applied_names(course))


def _applied_names(course: Course) -> list[str]:
    """The logged-in applicant's students when every one has already applied to the course, else none.

    Anonymous visitors get no query, so the page they share (and public_page caches) stays the same.
    """
    if not (current_user.is_authenticated and current_user.role == Role.applicant):
        return []
    family = family_for_course(current_user, course.id)
    return [student.name for student, has_applied in family] if all(has for student, has in family) else []


def _may_manage(course: Course) -> bool:
    return current_user.is_authenticated and current_user.is_staff_of(course.institution_id)


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.role == Role.admin


def _own_course(course_id: int) -> Course:
    """The course, if it belongs to the current staff member's institution; 404 otherwise."""
    course = db.session.get(Course, course_id)
    if course is None or not current_user.is_staff_of(course.institution_id):
        abort(404)
    return course


@bp.get("/manage/courses")
@role_required(Role.staff)
def manage():
    """Who: institution staff. Their institution's courses in every status."""
    courses = db.session.scalars(select(Course).where(Course.institution_id == current_user.institution_id)
                                 .order_by(Course.start_date.desc(), Course.id.desc())).all()
    return render_template("courses/manage.html", courses=courses, status_form=StatusForm(),
                           transitions=STATUS_TRANSITIONS, actions=STATUS_ACTIONS, today=today())


COURSE_FIELDS = ("title", "trade", "level", "kind", "mode", "region_code", "address", "schedule", "hours",
                 "start_date", "end_date", "apply_opens", "apply_closes", "report_date", "report_time", "capacity",
                 "reserved_places", "offer_days", "fee_waiver", "national_grant", "living_allowance", "description",
                 "how_to_apply")


def _form_values(form: CourseForm) -> dict:
    """The course's values as typed, leaving out any the form refused."""
    values = {name: getattr(form, name).data for name in COURSE_FIELDS if not getattr(form, name).errors}
    if not form.fee_yuan.errors and form.fee_yuan.data is not None:
        values["fee_fen"] = yuan_to_fen(form.fee_yuan.data)
    return values


def _show_problems(form: CourseForm, problems: dict[str, str]) -> None:
    """Each broken rule under its field, unless the field already shows a message."""
    for name, message in problems.items():
        field = form.fee_yuan if name == "fee_fen" else getattr(form, name)
        if not field.errors:
            field.errors = [*field.errors, message]


@bp.route("/manage/courses/new", methods=["GET", "POST"])
@bp.route("/manage/courses/<int:course_id>/edit", methods=["GET", "POST"])
@role_required(Role.staff)
def edit(course_id: int | None = None):
    """Who: institution staff, for their own institution's courses only."""
    course = _own_course(course_id) if course_id is not None else None
    form = CourseForm(obj=course)
    if course is not None and request.method == "GET":
        form.fee_yuan.data = fen_to_yuan(course.fee_fen)
    form.region_code.choices = region_choices()
    if course is None and request.method == "GET":
        form.region_code.data = current_user.institution.region_code
    if form.validate_on_submit():
        told = 0
        try:
            if course is None:
                course = create_course(current_user, current_user.institution, _form_values(form))
            else:
                was = course.reports_on, course.report_time
                update_course(current_user, course, _form_values(form))
                told = tell_report_change(course, *was)  # before promoting: those admitted now learn the new time
                promote(course)  # places added (or unreserved) go to the waiting list at once
        except CourseError as e:
            _show_problems(form, e.problems)
        else:
            db.session.commit()
            flash(ngettext("课程已保存，已通知%(num)d个家庭新的报到时间。",
                           "课程已保存，已通知%(num)d个家庭新的报到时间。", told)
                  if told else _("课程已保存。"), "success")
            return redirect(url_for("courses.manage"))
    elif form.is_submitted():
        # Dates in the wrong order or too few places are told with the form's own messages, not after them.
        _show_problems(form, course_problems(_form_values(form), course))
    return render_template("courses/edit.html", form=form, course=course)


@bp.post("/manage/courses/<int:course_id>/status/<status>")
@role_required(Role.staff)
def set_status(course_id: int, status: str):
    """Who: institution staff, for their own institution's courses only. Publish, close (the page asks
    first) or reopen a course."""
    course = _own_course(course_id)
    try:
        target = CourseStatus(status)
    except ValueError:
        abort(404)
    if StatusForm().validate_on_submit():
        if target == CourseStatus.published and (problem := publishing_problem(course, today())):
            flash(problem, "error")
            return redirect(url_for("courses.manage"))
        before = course.status
        try:
            change_status(current_user, course, target)
        except CourseError as e:
            flash(str(e), "error")
        else:
            db.session.commit()
            if target == CourseStatus.closed:
                flash(_("已关闭“%(title)s”的报名。", title=course.title), "success")
            elif before == CourseStatus.closed:
                flash(_("已重新发布“%(title)s”。", title=course.title), "success")
            else:
                flash(_("已发布“%(title)s”。", title=course.title), "success")
    return redirect(url_for("courses.manage"))
