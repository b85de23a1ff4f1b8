"""The admin's registry pages: importing files, each import's result, people and their history."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from portal.auth.access import role_required
from portal.auth.models import Role
from portal.common.downloads import xlsx_download
from portal.common.i18n import N_
from portal.common.jobs import enqueue, stalled
from portal.extensions import db
from portal.registry import bp
from portal.registry.forms import LookupForm, RevealForm, UploadForm
from portal.registry.models import (
    CHANGE_KIND_LABELS,
    IMPORT_STATUS_LABELS,
    POVERTY_STATUS_LABELS,
    ImportStatus,
    RegistryImport,
    RegistryPerson,
)
from portal.registry.services import (
    can_confirm_leaving,
    can_restart,
    change_counts,
    confirm_leaving,
    create_import,
    find_person,
    history,
    import_stored_file,
    masked_id,
    reason_text,
    rejections_page,
    rejections_workbook,
    restart_import,
    reveal_id,
    run_import,
    several_sheets,
    store_file,
    template_workbook,
)

IMPORTS_SHOWN = 50
REJECTIONS_PER_PAGE = 100
HOUSEHOLD_SHOWN = 20
LABELS = {"IMPORT_STATUS_LABELS": IMPORT_STATUS_LABELS, "POVERTY_STATUS_LABELS": POVERTY_STATUS_LABELS,
          "CHANGE_KIND_LABELS": CHANGE_KIND_LABELS}
FIELD_LABELS = {"name": N_("姓名"), "household_no": N_("户编号"), "relation": N_("与户主关系"),
                "region_code": N_("行政区划代码"), "county": N_("县"), "township": N_("乡镇"), "village": N_("村"),
                "year_identified": N_("识别年度"), "poverty_status": N_("脱贫状态"), "dibao": N_("是否低保"),
                "phone": N_("联系电话")}


def _shown(field: str, value) -> str:
    """A listed field's value from a person's history, as the person page shows it."""
    if value is None or value == "":
        return _("（空）")
    if field == "poverty_status":
        return _(POVERTY_STATUS_LABELS[value])
    if field == "dibao":
        return _("是") if value else _("否")
    return str(value)


def _index(upload_form: UploadForm, lookup_form: LookupForm, before: int | None = None):
    """The registry page with IMPORTS_SHOWN imports, newest first: those older than import `before` when given,
    with a link on to the older ones while there are any."""
    query = select(RegistryImport).options(joinedload(RegistryImport.created_by))
    if before is not None:
        query = query.where(RegistryImport.id < before)
    batches = db.session.scalars(query.order_by(RegistryImport.id.desc()).limit(IMPORTS_SHOWN + 1)).all()
    older = (url_for("registry.imports", before=batches[IMPORTS_SHOWN - 1].id, _anchor="imports-heading")
             if len(batches) > IMPORTS_SHOWN else None)
    return render_template("registry/index.html", upload_form=upload_form, lookup_form=lookup_form,
                           batches=batches[:IMPORTS_SHOWN], older=older, earlier_page=before is not None, **LABELS)


@bp.url_value_preprocessor
def _limit_upload_size(endpoint, values):
    # URL processors run before CSRF protection reads the body, so the limit holds from the first byte.
    if endpoint == "registry.upload":
        request.max_content_length = current_app.config["REGISTRY_MAX_BYTES"]


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(e):
    """A file over REGISTRY_MAX_BYTES: say so on the registry page, not in a bare 413."""
    flash(_("文件超过%(mb)dMB，不能在网页上导入。请存为 CSV 格式（比 XLSX 小）再试，或请技术人员用命令行导入。",
            mb=current_app.config["REGISTRY_MAX_BYTES"] // 2**20), "error")
    return redirect(url_for("registry.imports"))


@bp.get("/admin/registry")
@role_required(Role.admin)
def imports():
    """Who: admin. Upload a registry file, see past imports (older ones page by page), look a person up by
    ID number."""
    return _index(UploadForm(prefix="upload"), LookupForm(prefix="lookup"), request.args.get("before", type=int))


@bp.post("/admin/registry/imports")
@role_required(Role.admin)
def upload():
    """Who: admin. Import a file: in this request when small, else as a background job."""
    form = UploadForm(prefix="upload")
    if not form.validate_on_submit():
        return _index(form, LookupForm(prefix="lookup"))
    file = form.file.data
    background = _size(file.stream) > current_app.config["REGISTRY_BACKGROUND_BYTES"]
    batch = create_import(current_user, file.filename or "registry", file.stream, full=form.full.data == "full",
                          keep_file=background)
    db.session.commit()
    if background:
        enqueue(import_stored_file, batch.id)
        flash(_("文件已上传，正在后台导入。"), "success")
    elif run_import(batch.id, file.stream).status == ImportStatus.held:
        store_file(batch, file.stream)  # to import from once the admin confirms
    db.session.commit()
    return redirect(url_for("registry.import_detail", import_id=batch.id))


def _size(stream) -> int:
    size = stream.seek(0, 2)
    stream.seek(0)
    return size


@bp.post("/admin/registry/lookup")
@role_required(Role.admin)
def lookup():
    """Who: admin. Find a person by ID number (posted, so the number stays out of URLs and logs)."""
    form = LookupForm(prefix="lookup")
    if form.validate_on_submit():
        person = find_person(form.number.data)
        if person is not None:
            return redirect(url_for("registry.person", person_id=person.id))
        form.number.errors.append(_("名单中没有这个身份证号。"))
    return _index(UploadForm(prefix="upload"), form)


@bp.get("/admin/registry/imports/<int:import_id>")
@role_required(Role.admin)
def import_detail(import_id: int):
    """Who: admin. One import: its progress or result, and every row it refused."""
    batch = db.session.get(RegistryImport, import_id) or abort(404)
    pages = max(1, -(-batch.rejected // REJECTIONS_PER_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    rejections = rejections_page(batch, page, REJECTIONS_PER_PAGE)
    return render_template("registry/import.html", batch=batch, page=page, pages=pages,
                           rejections=[(r, reason_text(r)) for r in rejections], several_sheets=several_sheets(batch),
                           changes=change_counts(batch) if batch.status == ImportStatus.done else {},
                           running=batch.status in (ImportStatus.queued, ImportStatus.running) and not stalled(batch),
                           restartable=can_restart(batch), confirmable=can_confirm_leaving(batch), **LABELS)


@bp.post("/admin/registry/imports/<int:import_id>/restart")
@role_required(Role.admin)
def restart(import_id: int):
    """Who: admin. Import a batch whose job was stopped (a restart, a crash) again, from its stored file."""
    batch = db.session.get(RegistryImport, import_id) or abort(404)
    if can_restart(batch):
        if restart_import(current_user, batch):
            db.session.commit()
            enqueue(import_stored_file, batch.id, batch.attempt)
            flash(_("已重新开始导入。"), "success")
        else:
            flash(_("这次导入刚刚又有了进展，仍在进行，不用重新开始。"), "info")
    return redirect(url_for("registry.import_detail", import_id=batch.id))


@bp.post("/admin/registry/imports/<int:import_id>/confirm-leaving")
@role_required(Role.admin)
def confirm(import_id: int):
    """Who: admin. Import a held full list (see ImportStatus.held), marking everyone it leaves out as left."""
    batch = db.session.get(RegistryImport, import_id) or abort(404)
    if can_confirm_leaving(batch) and confirm_leaving(current_user, batch):
        db.session.commit()
        enqueue(import_stored_file, batch.id, batch.attempt)
        flash(_("已确认，正在导入这份完整名单。"), "success")
    return redirect(url_for("registry.import_detail", import_id=batch.id))


@bp.get("/admin/registry/template.xlsx")
@role_required(Role.admin)
def template_xlsx():
    """Who: admin. An empty registry file to fill in Excel, with the columns the import reads."""
    name = _("建档立卡名单模板")  # outside the f-string, where message extraction finds it
    return xlsx_download(template_workbook(), f"{name}.xlsx", "registry-template.xlsx")


@bp.get("/admin/registry/imports/<int:import_id>/rejections.xlsx")
@role_required(Role.admin)
def rejections_xlsx(import_id: int):
    """Who: admin. The import's refused rows as an XLSX file (ID numbers masked)."""
    batch = db.session.get(RegistryImport, import_id) or abort(404)
    name = _("被拒绝的行")
    return xlsx_download(rejections_workbook(batch), f"{name}-{batch.filename.rsplit('.', 1)[0]}.xlsx",
                         f"rejected-rows-{batch.id}.xlsx")


def _person_page(person: RegistryPerson, revealed: str | None = None):
    household = db.session.scalars(select(RegistryPerson).where(
        RegistryPerson.household_no == person.household_no, RegistryPerson.id != person.id)
        .order_by(RegistryPerson.id).limit(HOUSEHOLD_SHOWN))
    first_import = db.session.get(RegistryImport, person.first_import_id)
    response = current_app.make_response(render_template(
        "registry/person.html", person=person, masked=masked_id(person), revealed=revealed, form=RevealForm(),
        household=household, first_import=first_import, changes=history(person), FIELD_LABELS=FIELD_LABELS,
        shown=_shown, **LABELS))
    if revealed:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/registry/people/<int:person_id>")
@role_required(Role.admin)
def person(person_id: int):
    """Who: admin. A person as the registry lists them (ID number masked), their household and history."""
    return _person_page(db.session.get(RegistryPerson, person_id) or abort(404))


@bp.post("/admin/registry/people/<int:person_id>/reveal")
@role_required(Role.admin)
def reveal(person_id: int):
    """Who: admin. Show the person's whole ID number on this one page; audited."""
    person = db.session.get(RegistryPerson, person_id) or abort(404)
    if not RevealForm().validate_on_submit():
        abort(400)
    number = reveal_id(current_user, person)
    db.session.commit()
    return _person_page(person, revealed=number)
