"""Fixtures for the registry: files as the poverty office sends them, an admin, and page readers."""
import csv
import html
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from portal.auth.models import Role
from portal.registry.models import RegistryChange, RegistryImport, RegistryPerson, RegistryRejection

HEADER = ["姓名", "身份证号", "户编号", "与户主关系", "行政区划代码", "县", "乡镇", "村", "识别年度", "脱贫状态",
          "是否低保", "联系电话"]


@pytest.fixture
def admin(make_user):
    return make_user(Role.admin, name="人社管理员")


@pytest.fixture
def as_admin(login, admin):
    return login(admin)


@pytest.fixture
def row():
    """One person's row by header: row(number, name=…, **{"户编号": …})."""
    def make(number: str, name: str = "黎小海", **cells) -> dict:
        values = {"姓名": name, "身份证号": number, "户编号": "4601070010001", "与户主关系": "之子",
                  "行政区划代码": "460107", "县": "琼山区", "乡镇": "云龙镇", "村": "云蛟村", "识别年度": "2016",
                  "脱贫状态": "已脱贫", "是否低保": "否", "联系电话": "13800138000"}
        values.update(cells)
        return values
    return make


def to_csv(rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8", delimiter: str = ",",
           newline: str = "\n") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows([[r.get(h, "") for h in header] for r in rows])
    return out.getvalue().encode(encoding)


def to_xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def registry_csv():
    return to_csv


@pytest.fixture
def registry_xlsx():
    return to_xlsx


@pytest.fixture
def upload(as_admin):
    """Post a file to the import form as the admin; returns the response (redirects not followed)."""
    def post(data: bytes, filename: str = "名单.csv", full: bool = True):
        form = {"upload-file": (io.BytesIO(data), filename), "upload-full": "full" if full else "partial"}
        return as_admin.post("/admin/registry/imports", data=form, content_type="multipart/form-data")
    return post


@pytest.fixture
def import_file(upload, db):
    """Upload a file and return its batch, reloaded after the import."""
    def run(data: bytes, filename: str = "名单.csv", full: bool = True) -> RegistryImport:
        response = upload(data, filename, full)
        assert response.status_code == 302, response.text
        import_id = int(response.headers["Location"].rsplit("/", 1)[1])
        db.session.expire_all()
        return db.session.get(RegistryImport, import_id)
    return run


@pytest.fixture
def registry_state(db):
    """What the registry holds (with the imports and their rejections unless told), to prove a file changed nothing."""
    def state(imports: bool = True) -> dict:
        db.session.expire_all()
        models = (RegistryPerson, RegistryChange) + ((RegistryImport, RegistryRejection) if imports else ())
        return {model.__tablename__: [tuple(r) for r in db.session.execute(
                    select(*model.__table__.c).order_by(model.__table__.c.id))] for model in models}
    return state


def page_text(response) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


@pytest.fixture
def text():
    return page_text
