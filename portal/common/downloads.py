"""Files handed out for download, named in the reader's language."""
import io
from urllib.parse import quote

from flask import Response, send_file

from portal.common.spreadsheets import XLSX


def attachment(name: str, fallback: str) -> str:
    """A Content-Disposition naming the file `name` (录取通知书-….pdf) for browsers that read RFC 6266's
    filename*, as all current ones do, and `fallback`, plain ASCII, for any that do not."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def xlsx_download(data: io.BytesIO, name: str, fallback: str) -> Response:
    """The XLSX file `data` as a download named `name`, or `fallback` (see attachment)."""
    response = send_file(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment(name, fallback)
    return response
