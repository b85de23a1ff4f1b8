"""The portal's one PDF renderer (a Jinja template laid out by WeasyPrint) and the QR codes PDFs print.

Every PDF goes through `render_pdf`. Loading the CJK fonts and parsing stylesheets cost more than
laying out a page, so the process keeps one FontConfiguration and the stylesheets of static/css/pdf/
compiled once; each of them applies to every PDF, so scope a document's rules by its body class.
Templates name images and fonts by paths relative to static/ (`img/x.png`, not url_for), and the
fetcher serves only files under static/: a template that names a remote URL or any other file gets
nothing, so rendering a PDF can neither send a request nor read the server's files.
"""
import io
import mimetypes
import threading
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from flask import render_template
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal import STATIC_DIR

PDF_STYLESHEETS = STATIC_DIR / "css" / "pdf"
QR_ERROR_LEVEL = "m"  # survives a crease or a smudge on a printed page

# Pango's font map and WeasyPrint's caches on the FontConfiguration are not thread-safe: a process
# lays out one document at a time.
_lock = threading.Lock()


class StaticOnlyFetcher(URLFetcher):
    """Serves file:// URLs of files under `root` and refuses every other URL by raising.

    WeasyPrint catches the error, logs it and leaves the resource out of the document.
    """

    def __init__(self, root: Path):
        super().__init__()
        self.root = root.resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise PermissionError(f"PDF resources come from static/ only, refused {url}")
        path = Path(url2pathname(parts.path)).resolve()  # folds ".." and follows symlinks before the check
        if not path.is_relative_to(self.root) or not path.is_file():
            raise PermissionError(f"not a file under static/, refused {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


class Renderer:
    """What every PDF of the process shares: the fetcher, the fonts and the compiled stylesheets."""

    def __init__(self):
        self.base_url = STATIC_DIR.as_uri() + "/"
        self.fetcher = StaticOnlyFetcher(STATIC_DIR)
        self.font_config = FontConfiguration()
        self.stylesheets = [CSS(filename=str(path), url_fetcher=self.fetcher, font_config=self.font_config)
                            for path in sorted(PDF_STYLESHEETS.glob("*.css"))]

    def write_pdf(self, html: str) -> bytes:
        return HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).write_pdf(
            stylesheets=self.stylesheets, font_config=self.font_config)


@cache
def renderer() -> Renderer:
    """The process's renderer, made on first use (under `_lock`), so each forked worker makes its own."""
    return Renderer()


def render_pdf(template_name: str, **context) -> bytes:
    """Render `template_name` with Flask's render_template (so i18n applies) and lay it out as PDF.

    Works in a background job too (an app context is enough), in the default locale unless the
    caller forces one.
    """
    html = render_template(template_name, **context)
    with _lock:
        return renderer().write_pdf(html)


def qr_svg(data: str) -> Markup:
    """`data` as a QR code in an inline <svg class="qr"> for a PDF template; CSS gives it its size.

    Inline, so the renderer fetches nothing for it; the quiet zone of four modules is included.
    """
    buffer = io.BytesIO()
    segno.make(data, error=QR_ERROR_LEVEL, micro=False).save(
        buffer, kind="svg", xmldecl=False, omitsize=True, nl=False, svgclass="qr", lineclass=None)
    return Markup(buffer.getvalue().decode())
