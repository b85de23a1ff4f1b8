"""The PDF module: Chinese fonts embedded as subsets, resources only from static/, QR codes that encode
what they should, and one renderer shared by every PDF of the process."""
import io
import re
import socket
import subprocess
import urllib.request

import pytest
import segno
from flask_babel import refresh
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader
from weasyprint.text import ffi

from portal import STATIC_DIR
from portal.common import pdf
from portal.common.pdf import QR_ERROR_LEVEL, StaticOnlyFetcher, qr_svg, render_pdf

SAMPLE = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">
<link rel="stylesheet" href="css/pdf/base.css"></head>
<body><h1>录取通知书</h1><p>{{ _("找课程") }}</p>
{% for src in sources %}<img src="{{ src }}" alt="">{% endfor %}</body></html>"""


@pytest.fixture
def sample_template(app, monkeypatch):
    """A PDF template kept beside the app's own ones for these tests only."""
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader({"test/sample.html": SAMPLE}),
                                                               app.jinja_env.loader]))
    with app.test_request_context():
        refresh()  # the app context (and its cached locale) outlives requests in these tests
        yield "test/sample.html"


def pdffonts(data: bytes, tmp_path) -> list[dict]:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    rows = [line.split() for line in lines[2:]]
    return [{"name": row[0], "emb": row[-5], "sub": row[-4]} for row in rows]


def test_chinese_is_set_in_an_embedded_cjk_subset(sample_template, tmp_path):
    data = render_pdf(sample_template, sources=[])

    assert data.startswith(b"%PDF-")
    assert "录取通知书" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    fonts = pdffonts(data, tmp_path)
    assert fonts and all(font["emb"] == "yes" and font["sub"] == "yes" for font in fonts), fonts
    assert any("CJK-SC" in font["name"] for font in fonts), fonts


def test_templates_are_rendered_through_flask_so_i18n_applies(sample_template, app):
    with app.test_request_context(headers={"Cookie": "lang=zh_Hant_TW"}):
        refresh()
        text = PdfReader(io.BytesIO(render_pdf(sample_template, sources=[]))).pages[0].extract_text()
    assert "找課程" in text


def test_weasyprint_subsets_fonts_with_harfbuzz():
    """Without libharfbuzz-subset0 WeasyPrint falls back to fontTools, many times slower on CJK fonts."""
    assert ffi.harfbuzz_subset is not None
    assert ffi.harfbuzz.hb_version_atleast(4, 1, 0)


def test_remote_and_outside_files_are_never_fetched(sample_template, monkeypatch):
    fetched, refused, connections, opened, reads = [], [], [], [], []
    real_fetch = StaticOnlyFetcher.fetch

    def spy_fetch(self, url, headers=None):
        try:
            response = real_fetch(self, url, headers)
        except PermissionError:
            refused.append(url)
            raise
        fetched.append(url)
        return response

    real_read_bytes = pdf.Path.read_bytes
    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy_fetch)
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connections.append(address))
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, *a, **k: opened.append(a))
    monkeypatch.setattr(pdf.Path, "read_bytes", lambda self: reads.append(self) or real_read_bytes(self))

    sources = ["http://example.com/x.png", "https://example.com/y.png", "file:///etc/passwd",
               "../../../../etc/hostname", "data:image/png;base64,iVBORw0KGgo="]
    data = render_pdf(sample_template, sources=sources)

    assert data.startswith(b"%PDF-")
    assert set(refused) == {*sources[:3], "file:///etc/hostname", sources[4]}  # the ".." escape, resolved
    assert fetched == [f"{STATIC_DIR.as_uri()}/css/pdf/base.css"]  # files under static/ are served
    assert connections == [] and opened == []
    assert [path.name for path in reads] == ["base.css"]


def test_fetcher_serves_files_under_its_root_only(tmp_path):
    root = tmp_path / "static"
    (root / "img").mkdir(parents=True)
    (root / "img" / "seal.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.txt").write_text("not for PDFs")
    (root / "img" / "escape.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = StaticOnlyFetcher(root)

    response = fetcher.fetch((root / "img" / "seal.png").as_uri())
    assert response.read() == b"\x89PNG fake"
    assert response.content_type == "image/png"
    for url in [(root / "img" / "escape.txt").as_uri(),  # a symlink out of the root
                root.as_uri() + "/img/../../secret.txt",
                (tmp_path / "secret.txt").as_uri(),
                root.as_uri() + "/img/missing.png",
                root.as_uri() + "/img/",
                "file://otherhost" + (root / "img" / "seal.png").as_posix(),
                "http://example.com/img/seal.png",
                "ftp://example.com/seal.png",
                "data:text/plain,hello"]:
        with pytest.raises(PermissionError):
            fetcher.fetch(url)


def test_one_renderer_for_the_process(sample_template, monkeypatch):
    seen = []
    real_write_pdf = pdf.HTML.write_pdf

    def spy(self, *args, **kwargs):
        seen.append((kwargs["font_config"], kwargs["stylesheets"]))
        return real_write_pdf(self, *args, **kwargs)
    monkeypatch.setattr(pdf.HTML, "write_pdf", spy)

    render_pdf(sample_template, sources=[])
    render_pdf(sample_template, sources=[])

    (fonts_1, css_1), (fonts_2, css_2) = seen
    assert fonts_1 is fonts_2 is pdf.renderer().font_config
    assert css_1 is css_2 and len(css_1) == len(list((STATIC_DIR / "css" / "pdf").glob("*.css")))


def qr_matrix_from_svg(svg: str) -> set[tuple[int, int]]:
    """The dark modules that segno's SVG path draws, read back from the path itself.

    The path is "M x y" then runs of "h n" (a dark run of n modules) and "m dx dy" (moves); the
    stroke is drawn along the middle of each row, hence the half-module y.
    """
    d = re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for op, args in re.findall(r"([Mmhv])([-\d. ]+)", d):
        numbers = [float(a) for a in args.split()]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif op == "h":
            dark.update((int(x) + i, int(y)) for i in range(int(numbers[0])))
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path operator {op}")
    return dark


def dark_modules(qr: segno.QRCode, border: int = 4) -> set[tuple[int, int]]:
    return {(col + border, row + border) for row, line in enumerate(qr.matrix) for col, bit in enumerate(line) if bit}


def test_qr_svg_encodes_the_given_text_inline():
    url = "http://portal.test/notices/abcDEF123_-xyz"
    svg = qr_svg(url)

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox=') and svg.endswith("</svg>")
    assert "<?xml" not in svg and "href" not in svg and "data:" not in svg
    assert 'class="qr"' in svg
    assert qr_matrix_from_svg(svg) == dark_modules(segno.make(url, error=QR_ERROR_LEVEL, micro=False))
    assert qr_matrix_from_svg(svg) != dark_modules(segno.make(url + "x", error=QR_ERROR_LEVEL, micro=False))
