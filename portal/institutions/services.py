"""Rules for institutions: a valid 统一社会信用代码, a known region, a unique name."""
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from portal.audit.services import record
from portal.common.regions import Region
from portal.courses.models import Course
from portal.courses.services import refresh_search_text
from portal.db import db
from portal.institutions.models import Institution

EDITABLE = ("name", "kind", "region_code", "address", "phone", "website", "description")


class InstitutionError(ValueError):
    """A rule about institutions was broken; `field` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def clean_uscc(raw: str) -> str:
    """The 18-character code, upper-cased, or InstitutionError saying what is wrong with it."""
    value = unicodedata.normalize("NFKC", raw or "").replace(" ", "").upper()
    try:
        return uscc.validate(value)
    except InvalidLength:
        raise InstitutionError("uscc", _("统一社会信用代码应为18位，您填写了%(n)d位。", n=len(value))) from None
    except InvalidChecksum:
        raise InstitutionError("uscc", _("统一社会信用代码的校验位不对，请核对后重新填写。")) from None
    except ValidationError:
        raise InstitutionError("uscc", _("统一社会信用代码格式不对，请核对后重新填写。")) from None


def _check(values: dict, institution: Institution | None) -> None:
    if db.session.get(Region, values["region_code"]) is None:
        raise InstitutionError("region_code", _("行政区划代码不存在，请从列表中选择。"))
    clash = select(Institution.id).where(Institution.name == values["name"])
    if institution is not None:
        clash = clash.where(Institution.id != institution.id)
    if db.session.scalar(clash) is not None:
        raise InstitutionError("name", _("已有同名机构。"))


def create_institution(actor, *, uscc_code: str, **values) -> Institution:
    code = clean_uscc(uscc_code)
    if db.session.scalar(select(Institution.id).where(Institution.uscc == code)) is not None:
        raise InstitutionError("uscc", _("这个统一社会信用代码已登记过。"))
    _check(values, None)
    institution = Institution(uscc=code, **{k: values[k] for k in EDITABLE if k in values})
    db.session.add(institution)
    db.session.flush()
    record(actor, "institution.create", institution, after={"name": institution.name, "uscc": code})
    return institution


def update_institution(actor, institution: Institution, **values) -> Institution:
    _check(values, institution)
    before = {k: getattr(institution, k) for k in EDITABLE if k in values}
    for key, value in values.items():
        if key in EDITABLE:
            setattr(institution, key, value)
    changed = {k: getattr(institution, k) for k in before if before[k] != getattr(institution, k)}
    if "name" in changed:
        refresh_search_text(db.session.scalars(select(Course).where(Course.institution_id == institution.id)),
                            institution.name)
    if changed:
        db.session.flush()
        record(actor, "institution.update", institution, before={k: before[k] for k in changed}, after=changed)
    return institution
