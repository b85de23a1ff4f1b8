"""XLSX files the portal hands out: their media type, cells that stay text, and the finished bytes."""
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def text_cell(sheet, text: str):
    """A cell that Excel shows as text, even when it starts with "=" (a formula otherwise).

    Control characters, which XLSX cannot hold, are dropped.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def saved(workbook: Workbook) -> io.BytesIO:
    """The workbook as an XLSX file, ready to send."""
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out
