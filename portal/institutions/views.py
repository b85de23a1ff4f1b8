"""The public institution page and the admin's institution management."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.access import role_required
from portal.auth.models import Role
from portal.common.cache import public_page
from portal.common.regions import region_choices
from portal.courses.services import published_courses_of
from portal.extensions import db
from portal.institutions import bp
from portal.institutions.forms import InstitutionForm
from portal.institutions.models import Institution
from portal.institutions.services import (
    InstitutionError,
    create_institution,
    update_institution,
)


@bp.get("/institutions/<int:institution_id>")
@public_page
def detail(institution_id: int):
    """Who: anyone. The institution and its published courses."""
    institution = db.session.get(Institution, institution_id) or abort(404)
    return render_template("institutions/detail.html", institution=institution,
                           courses=published_courses_of(institution.id))


@bp.get("/admin/institutions")
@role_required(Role.admin)
def admin_list():
    """Who: admin."""
    institutions = db.session.scalars(select(Institution).order_by(Institution.region_code, Institution.name)).all()
    return render_template("institutions/admin_list.html", institutions=institutions)


@bp.route("/admin/institutions/new", methods=["GET", "POST"])
@bp.route("/admin/institutions/<int:institution_id>/edit", methods=["GET", "POST"])
@role_required(Role.admin)
def admin_edit(institution_id: int | None = None):
    """Who: admin. Creates an institution, or edits one (its credit code is fixed once made)."""
    institution = None
    if institution_id is not None:
        institution = db.session.get(Institution, institution_id) or abort(404)
    form = InstitutionForm(obj=institution)
    form.region_code.choices = region_choices()
    if institution is not None:
        form.uscc.render_kw = {"readonly": True}
        form.uscc.data = institution.uscc
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in
                  ("name", "kind", "region_code", "address", "phone", "website", "description")}
        try:
            if institution is None:
                institution = create_institution(current_user, uscc_code=form.uscc.data, **values)
            else:
                update_institution(current_user, institution, **values)
        except InstitutionError as e:
            getattr(form, e.field).errors.append(str(e))
        else:
            db.session.commit()
            flash(_("机构信息已保存。"), "success")
            return redirect(url_for("institutions.admin_list"))
    return render_template("institutions/admin_edit.html", form=form, institution=institution)
