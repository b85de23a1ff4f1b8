"""Fixtures for the family pages: an applicant, a valid profile form, real small proof files, page readers."""
import html
import re
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.families.models import ProofDocument, Student


@pytest.fixture
def applicant(make_user):
    return make_user(Role.applicant, name="王阿婆")


@pytest.fixture
def as_applicant(login, applicant):
    return login(applicant)


@pytest.fixture
def student_form():
    """A complete, valid profile form as the browser posts it: student_form(number, **overrides)."""
    def make(number: str, **overrides) -> dict:
        values = dict(name="黎小海", id_number=number, relation="grandchild", region_code="460107",
                      phone="13800138000", school="琼山区云龙中学")
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}
    return make


def _image(fmt: str) -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def jpeg():
    return _image("JPEG")


@pytest.fixture
def png():
    return _image("PNG")


@pytest.fixture
def pdf():
    """A minimal one-page PDF, as a scanner app would send."""
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def counts(db):
    """Rows in the tables this package writes, to prove a refused request changed nothing."""
    def read() -> dict:
        db.session.expire_all()
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Student, ProofDocument, AuditEntry)}
    return read


@pytest.fixture
def audit(db):
    def read(action: str) -> list[AuditEntry]:
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
    return read


@pytest.fixture
def page():
    """The visible text of a response, whitespace collapsed, so assertions read like what a person sees."""
    def of(markup: str) -> str:
        return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))

    def text(response) -> str:
        return of(response.get_data(as_text=True))
    text.of = of
    return text


@pytest.fixture
def field_error():
    def read(response, field: str) -> str:
        found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S)
        return html.unescape(found.group(1)) if found else ""
    return read


@pytest.fixture
def queries(db):
    """Count the SQL statements run inside a `with queries() as n:` block; read n[0] afterwards."""
    from contextlib import contextmanager

    @contextmanager
    def count():
        seen = [0]

        def tally(*args):
            seen[0] += 1
        event.listen(db.engine, "before_cursor_execute", tally)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", tally)
    return count
