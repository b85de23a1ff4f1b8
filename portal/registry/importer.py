"""Reading a registry file: CSV, XLSX, XLS or ODS detected from its bytes, the header, and checking each row.

A file is read in blocks of whole rows, never all at once. Checking a row (ID number, hashing,
encryption) is the import's hot loop, so `RowChecker.check` works on plain lists and tuples, and
large files are checked in worker processes, block by block, while the caller stages the results.
"""
import codecs
import csv
import faulthandler
import gc
import io
import json
import os
import re
import resource
import signal
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from hashlib import blake2b
from itertools import islice
from multiprocessing import get_context
from operator import itemgetter
from typing import BinaryIO

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from portal.common import idnumbers
from portal.common.i18n import N_
from portal.registry.models import POVERTY_STATUS_LABELS, RegistryPerson

# Comma first, so a record with none of them, or as many of each, reads as comma-separated. A
# semicolon is what Excel writes when Windows is set to a region whose decimal point is a comma.
DELIMITERS = (",", "\t", ";")
BLOCK_BYTES = 1 << 20  # CSV read and checked a megabyte (about 9,000 rows) at a time
XLSX_BLOCK_ROWS = 5_000
HEADER_ROWS = 10  # the header may sit under a title, a date or a note, as offices' exports put it
PARALLEL_ROWS = 50_000  # files expected to be longer are checked in worker processes
WORKERS = 2
FIRST_YEAR = 1980  # 识别年度 before this is a typing error, not a registry year
CELL_CHARS = 200  # how much of each cell a rejected row keeps

# Header → field. The listed fields, in the order they are staged and hashed, follow the ID number.
COLUMNS = {
    "姓名": "name", "身份证号": "id_number", "户编号": "household_no",
    # The ID number's other usual headers: the card's own term, and the national system's export's.
    "身份证号码": "id_number", "公民身份号码": "id_number", "证件号码": "id_number",
    "与户主关系": "relation", "行政区划代码": "region_code", "县": "county", "乡镇": "township", "村": "village",
    "识别年度": "year_identified", "脱贫状态": "poverty_status", "是否低保": "dibao", "联系电话": "phone",
}
LISTED = ("name", "household_no", "relation", "region_code", "county", "township", "village",
          "year_identified", "poverty_status", "dibao", "phone")
YEAR_AT = LISTED.index("year_identified")
REGION_AT = LISTED.index("region_code")
HEADERS = {"name": "姓名", "household_no": "户编号", "relation": "与户主关系", "county": "县",
           "township": "乡镇", "village": "村", "phone": "联系电话"}  # the free-text fields, for messages
MAX_LENGTH = {field: RegistryPerson.__table__.c[field].type.length for field in HEADERS}
SHORTEST_LIMIT = min(MAX_LENGTH.values())
STATUS_BY_LABEL = {label: status.value for status, label in POVERTY_STATUS_LABELS.items()}
DIBAO = {"是": True, "否": False}

# Whole-file problems (msgids; stored in RegistryImport.error and translated where shown).
EMPTY_FILE = N_("文件是空的。")
NOT_A_TABLE = N_("文件不是 XLSX、XLS、ODS 或 CSV 格式。请在 Excel 中“另存为” XLSX 或 CSV 后再导入。")
BAD_WORKBOOK = N_("Excel 文件无法打开，可能已损坏。请在 Excel 中重新保存后再导入。")
PASSWORD_PROTECTED = N_("文件设置了打开密码，无法读取。请在 Excel 或 WPS 中打开它，取消密码后保存，再导入。")
SHEET_TOO_LARGE = N_("表格太大，无法读取。常见原因是数据下方或右侧很远的单元格里有内容（哪怕只是一个空格）："
                     "请删掉数据下方和右侧多余的行和列后再导入。名单确实很长时，请另存为 CSV 后再导入。")
UNDECODABLE = N_("无法识别 CSV 文件的文字编码。请保存为 UTF-8 或 GBK 编码后再导入。")
# Excel's and WPS's "Unicode 文本" (UTF-16, tab-separated), sometimes renamed .csv to be uploaded.
UTF16_TEXT = N_("文件是“Unicode 文本”格式，不能导入。"
                "请在 Excel 或 WPS 中把它另存为“CSV UTF-8（逗号分隔）”或 XLSX 后再导入。")
BAD_CSV = N_("CSV 文件格式有误（例如引号不成对），无法读取。")
# The header is looked for in the first HEADER_ROWS rows (10, as these messages say).
NO_HEADER = N_("文件的前 10 行都是空的，找不到列名。")
DUPLICATE_COLUMN = N_("列名有重复，每一列只能出现一次"
                      "（身份证号也只能有一列，无论叫“身份证号”“身份证号码”还是“证件号码”）。")
MISSING_COLUMN = {
    "id_number": N_("文件中没有“身份证号”列（也可以叫“身份证号码”或“证件号码”）。"
                    "列名应在第一行，或在表格标题下面（前 10 行内）。"),
    "name": N_("文件中没有“姓名”列。"),
    "household_no": N_("文件中没有“户编号”列。"),
}

# Row problems (msgids with %(…)s placeholders filled from the rejection's params).
ID_AS_NUMBER = N_("身份证号被 Excel 存成了数字，后几位已丢失。请把这一列设为“文本”后重新导出。")
NO_NAME = N_("姓名为空。")
NO_HOUSEHOLD = N_("户编号为空。")
TOO_LONG = N_("“%(column)s”超过 %(max)s 个字。")
BAD_REGION_CODE = N_("行政区划代码应为6位数字（或12位统计用区划代码）。")
BAD_YEAR = N_("识别年度应为四位数的年份，且不晚于今年。")
BAD_STATUS = N_("脱贫状态应为“未脱贫”“已脱贫”“返贫”或“监测对象”。")
BAD_DIBAO = N_("是否低保应填“是”或“否”。")
DUPLICATE_ID = N_("身份证号与第 %(row)s 行相同，其他信息却不一样；导入的是那一行。")
DUPLICATE_ID_ON_SHEET = N_("身份证号与“%(sheet)s”工作表第 %(row)s 行相同，其他信息却不一样；导入的是那一行。")


class FileProblem(ValueError):
    """The file as a whole cannot be imported; the message is a msgid."""


@dataclass(frozen=True)
class Layout:
    """Where each field is in a row, from the header. An absent optional field reads an always-empty
    column just past the header's end, so every row is picked apart in one step."""
    headers: tuple[str, ...]
    columns: dict[str, int]
    unknown: list[str]

    @property
    def width(self) -> int:
        return len(self.headers) + 1


def find_header(rows: Iterable[list[str]]) -> tuple[int, Layout]:
    """The header's row number (from 1) and its layout: the first of the first HEADER_ROWS rows
    with a cell naming the ID-number column. A title above it ("XX县建档立卡脱贫人口名单"), a
    date or a note is skipped; the rows keep their numbers."""
    blank = True
    for number, cells in enumerate(islice(rows, HEADER_ROWS), 1):
        texts = [text.strip() for text in cells]
        if any(COLUMNS.get(text) == "id_number" for text in texts):
            return number, layout_of(texts)
        blank = blank and not any(texts)
    raise FileProblem(NO_HEADER if blank else MISSING_COLUMN["id_number"])


def layout_of(headers: list[str]) -> Layout:
    """The layout a header row gives (its cells stripped)."""
    columns: dict[str, int] = {}
    unknown = []
    for i, text in enumerate(headers):
        field = COLUMNS.get(text)
        if field is None:
            if text:
                unknown.append(text)
        elif field in columns:
            raise FileProblem(DUPLICATE_COLUMN)
        else:
            columns[field] = i
    for field, message in MISSING_COLUMN.items():
        if field not in columns:
            raise FileProblem(message)
    return Layout(tuple(headers), columns, unknown)


def merged_layout(layouts: list[Layout]) -> tuple[Layout, list[itemgetter]]:
    """One layout for lists on several sheets, whose columns may differ in order, name (身份证号 on
    one, 身份证号码 on another) or number; and for each sheet, the picker that turns one of its
    rows, padded to its layout's width, into a row of the merged layout."""
    def key(text: str) -> str | tuple[str]:
        return COLUMNS.get(text) or (text,)  # a field, or an unknown column's header

    keys: dict = {}  # key → the merged column's header: the first sheet's that has it
    for layout in layouts:
        for text in layout.headers:
            if text:
                keys.setdefault(key(text), text)
    merged = layout_of(list(keys.values()))
    pickers = []
    for layout in layouts:
        where = {key(text): i for i, text in enumerate(layout.headers) if text}
        pickers.append(itemgetter(*(where.get(key, len(layout.headers)) for key in keys)))
    return merged, pickers


# --- CSV ---------------------------------------------------------------------------------------

def _record_end(data: bytes) -> int:
    """The first newline that ends a record (one outside quotes), or -1.

    Counting quotes is enough: a quoted field's own quotes are doubled. Neither the newline nor the
    quote byte occurs inside a multi-byte character in UTF-8, GBK or GB18030.
    """
    start, end, quotes = 0, data.find(b"\n"), 0
    while end >= 0:
        quotes += data.count(b'"', start, end)
        if quotes % 2 == 0:
            return end
        start, end = end, data.find(b"\n", end + 1)
    return -1


def _first_record_ends(data: bytes, more: bool) -> list[int]:
    """Where each of the first HEADER_ROWS records ends: its newline, or the data's end when that
    is the file's end (`more` false)."""
    ends, start = [], 0
    while len(ends) < HEADER_ROWS and start < len(data):
        end = _record_end(data[start:])
        if end < 0:
            if not more:
                ends.append(len(data))
            break
        ends.append(start + end)
        start += end + 1
    return ends


def _last_record_end(data: bytes) -> int:
    """The last newline that ends a record, or -1."""
    end = data.rfind(b"\n")
    quotes = data.count(b'"', 0, end) if end >= 0 else 0
    while end >= 0 and quotes % 2:
        previous = data.rfind(b"\n", 0, end)
        quotes -= data.count(b'"', previous + 1, end)
        end = previous
    return end


def _encoding(sample: bytes) -> str:
    """UTF-8 if the bytes are UTF-8, else GB18030 (a superset of GBK, which most offices export)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileProblem(UNDECODABLE)


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str

    def rows(self, block: bytes) -> Iterator[list[str]]:
        try:
            text = block.decode(self.encoding)
        except UnicodeDecodeError:
            raise FileProblem(UNDECODABLE) from None
        return self.rows_of_text(text)

    def rows_of_text(self, text: str) -> Iterator[list[str]]:
        return csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)

    def rows_at(self, block: bytes, indexes: list[int]) -> list[list[str]]:
        """Some rows of a block, by index from 1 (ascending). Without quotes or lone carriage returns a
        row is a line, so only those lines are parsed; else the block is, up to the last of them."""
        if b'"' in block or block.count(b"\r") != block.count(b"\r\n"):
            rows = list(islice(self.rows(block), indexes[-1]))
            return [rows[i - 1] for i in indexes]
        lines = block.split(b"\n")  # a newline byte is never part of a character in these encodings
        return [next(self.rows(lines[i - 1]), []) for i in indexes]


class _Table:
    """A file's rows after its header: `layout`, `sheets` (the names of a workbook's sheets read),
    `estimate` (rows expected, for the progress bar), `blocks()` of rows as read, `parse(block)`,
    which turns a block into lists of cell texts, `rows_at(block, indexes)`, some of those lists,
    and `position(block, done)`: the block's sheet (its index in `sheets`) and the number of the
    row before its first, as the spreadsheet shows it, when `done` rows came before it; and
    `sheet_fields`, the fields each sheet lists, when the sheets differ in them (else None)."""
    sheets: list[str] | None = None
    sheet_fields: list[frozenset[str]] | None = None

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CsvTable(_Table):
    def __init__(self, source: BinaryIO, head: bytes):
        self._source = source
        more = len(head) == BLOCK_BYTES
        bom = head.startswith(codecs.BOM_UTF8)
        if bom:
            head = head[len(codecs.BOM_UTF8):]
        ends = _first_record_ends(head, more)
        if not ends:
            raise FileProblem(BAD_CSV)  # a megabyte without a record's end: its quotes are unbalanced
        # Else decided on whole lines, so no character is cut at the sample's end.
        encoding = "utf-8" if bom else _encoding(head[:_last_record_end(head) if more else len(head)])
        # Each record's delimiter is told from the record itself: a title line may have none.
        lines = [head[start:end].decode(encoding) for start, end in zip([0] + [end + 1 for end in ends], ends)]
        formats = [CsvFormat(encoding, max(DELIMITERS, key=line.count)) for line in lines]
        try:
            self.header_row, self.layout = find_header(
                next(record_format.rows_of_text(line), []) for record_format, line in zip(formats, lines))
        except csv.Error:
            raise FileProblem(BAD_CSV) from None
        csv_format = formats[self.header_row - 1]
        self.parse, self.rows_at = csv_format.rows, csv_format.rows_at
        self._rest = head[ends[self.header_row - 1] + 1:]
        self.estimate = self._rest.count(b"\n") + self._count_lines_left()

    def position(self, block: bytes, done: int) -> tuple[int, int]:
        return 0, self.header_row + done

    def _count_lines_left(self) -> int:
        """Line breaks in the part not read yet: the progress bar's total (a row may span lines)."""
        start, count = self._source.tell(), 0
        while block := self._source.read(BLOCK_BYTES):
            count += block.count(b"\n")
        self._source.seek(start)
        return count

    def blocks(self) -> Iterator[bytes]:
        data = self._rest
        while block := self._source.read(BLOCK_BYTES):
            data += block
            end = _last_record_end(data)
            if end >= 0:
                yield data[:end + 1]
                data = data[end + 1:]
        if data.strip():
            yield data


# --- workbooks: XLSX, XLS and ODS --------------------------------------------------------------

def _text(value) -> str:
    """A cell as the text a person sees in Excel."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        # Whole numbers up to 15 digits are exact in Excel; longer ones (an ID number typed as a
        # number) keep their exponent, so the row is rejected with the reason.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value).upper()
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class SheetBlock(list):
    """Rows of a workbook's sheet (`sheet`, its index among those read) after row `row_before`."""

    def __init__(self, rows: list[list[str]], sheet: int, row_before: int):
        super().__init__(rows)
        self.sheet, self.row_before = sheet, row_before


class SheetTable(_Table):
    """The registry's sheets of a workbook (see _registry_sheets), read with calamine (Rust), some
    twenty times quicker than openpyxl: XLSX, the older XLS that many offices' systems still
    export, or ODS as LibreOffice saves it.

    calamine holds a whole sheet in memory as a rectangle from the first cell with anything in it
    to the last: about 1 KB a row of a real registry (1.3 GB at Excel's limit of a million rows).
    One stray value far below or to the right, though, makes that rectangle vast, and a crafted
    file can ask for any amount. So the sheets are read in a child process allowed `memory` bytes
    more than the importing process has, which finds the header, and hands the rows over in blocks;
    a sheet that needs more is refused with SHEET_TOO_LARGE, and the memory goes back as soon as
    the sheets are read. Rows keep their numbers: leading empty rows are read as empty rows, and
    leading empty columns are left out."""

    def __init__(self, source: BinaryIO, memory: int):
        self._pipe, sender = get_context("fork").Pipe(duplex=False)
        self._reader = get_context("fork").Process(target=_read_sheets, args=(source, sender, memory), daemon=True)
        self._reader.start()
        sender.close()
        try:
            self.layout, self.sheets, self.estimate, self.sheet_fields = self._receive()
        except BaseException:
            self.close()
            raise

    def _receive(self):
        """The reader's next message: the layout, the sheets' names, the rows expected and the fields
        each sheet lists (see _Table), a block of rows, or None after the last."""
        try:
            message = self._pipe.recv()
        except EOFError:
            self._reader.join()
            if self._reader.exitcode in (OUT_OF_MEMORY, -signal.SIGABRT, -signal.SIGKILL):
                raise FileProblem(SHEET_TOO_LARGE) from None
            raise RuntimeError(f"workbook reader exited with {self._reader.exitcode}") from None
        if isinstance(message, str):
            raise FileProblem(message)
        return message

    @staticmethod
    def parse(block: SheetBlock) -> SheetBlock:
        return block

    @staticmethod
    def rows_at(block: SheetBlock, indexes: list[int]) -> list[list[str]]:
        return [block[i - 1] for i in indexes]

    @staticmethod
    def position(block: SheetBlock, done: int) -> tuple[int, int]:
        return block.sheet, block.row_before

    def blocks(self) -> Iterator[SheetBlock]:
        while (block := self._receive()) is not None:
            yield block

    def close(self) -> None:
        if self._reader.is_alive():
            self._reader.kill()
        self._reader.join()
        self._pipe.close()


@dataclass
class _ListSheet:
    """A sheet to read: its index in the workbook, name, last row's index (from 0), first rows as
    text, and the sheet itself while it is loaded."""
    index: int
    name: str
    last_row: int
    head: list[list[str]]
    loaded: CalamineSheet | None = None

    @classmethod
    def of(cls, index: int, sheet: CalamineSheet) -> "_ListSheet":
        return cls(index, sheet.name, sheet.end[0] if sheet.end else 0,
                   list(map(_texts, islice(sheet.iter_rows(), HEADER_ROWS))))


def _texts(row: list) -> list[str]:
    return [value if value.__class__ is str else _text(value) for value in row]


def _registry_sheets(workbook: CalamineWorkbook) -> list[_ListSheet]:
    """The sheets holding the registry: every visible worksheet with a list's whole header (姓名,
    身份证号 and 户编号) in its first rows, in the workbook's order, as one list, for some offices
    send one sheet per township. A cover or notes sheet is passed over, as are hidden sheets.
    Without a whole header, the first visible worksheet naming the ID-number column is read, else
    the first sheet, whose rows then say what is missing.

    Each sheet is loaded to look at its first rows; the first list stays loaded, to be read first.
    (A sheet without a whole header is never read past its first rows: find_header refuses it.)"""
    lists: list[_ListSheet] = []
    named = None
    for index, metadata in enumerate(workbook.sheets_metadata):
        if metadata.visible != SheetVisibleEnum.Visible or metadata.typ != SheetTypeEnum.WorkSheet:
            continue
        sheet = workbook.get_sheet_by_index(index)
        found = _ListSheet.of(index, sheet)
        fields = next(({COLUMNS.get(text.strip()) for text in row} for row in found.head
                       if any(COLUMNS.get(text.strip()) == "id_number" for text in row)), set())
        if fields >= MISSING_COLUMN.keys():
            found.loaded = None if lists else sheet
            lists.append(found)
        elif fields and named is None:
            named = found
    return lists or [named or _ListSheet.of(0, workbook.get_sheet_by_index(0))]


OUT_OF_MEMORY = 3  # the sheet reader's exit code when Python, not calamine, ran out of memory


def _read_sheets(source: BinaryIO, pipe, memory: int) -> None:
    """In the child process: the registry's layout, its sheets' names, the rows expected and the
    fields each sheet lists when they differ (else None), then the rows as text in SheetBlocks,
    sheet after sheet, then None, sent over `pipe`; or the msgid of why the workbook cannot be read.
    Lists on several sheets are sent as rows of one merged layout."""
    gc.freeze()  # never finalise the copy of the parent's database connection (see _start_worker)
    faulthandler.disable()  # calamine aborting for want of memory is an answer here, not a crash to report
    with open("/proc/self/statm") as statm:
        limit = int(statm.read().split()[0]) * resource.getpagesize() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        try:
            workbook = CalamineWorkbook.from_filelike(source)
            lists = _registry_sheets(workbook)
            if not lists[0].head:
                raise FileProblem(EMPTY_FILE)
            headers = [find_header(found.head) for found in lists]
        except CalamineError:
            source.seek(0)
            pipe.send(_unreadable_reason(source.read()))
            return
        except FileProblem as problem:
            pipe.send(str(problem))
            return
        if len(lists) == 1:
            layout, pickers = headers[0][1], [None]
        else:
            layout, pickers = merged_layout([found_layout for _, found_layout in headers])
        fields = [frozenset(found_layout.columns) for _, found_layout in headers]
        pipe.send((layout, [found.name for found in lists],
                   sum(max(found.last_row + 1 - header_row, 0) for found, (header_row, _) in zip(lists, headers)),
                   fields if len(set(fields)) > 1 else None))
        for number, (found, (header_row, found_layout), picker) in enumerate(zip(lists, headers, pickers)):
            sheet, found.loaded = found.loaded or workbook.get_sheet_by_index(found.index), None
            rows, row_before = islice(sheet.iter_rows(), header_row, None), header_row
            width = len(found_layout.headers) + 1
            while block := list(map(_texts, islice(rows, XLSX_BLOCK_ROWS))):
                if picker is not None:
                    block = [list(picker(row[:width] + [""] * (width - len(row)))) for row in block]
                pipe.send(SheetBlock(block, number, row_before))
                row_before += len(block)
            del sheet, rows  # its memory goes back before the next sheet is loaded
        pipe.send(None)
    except MemoryError:
        os._exit(OUT_OF_MEMORY)


_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_XLS_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"  # BIFF8's first record: the workbook's beginning
_XLS_FILEPASS = b"\x2f\x00"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"  # stored first in an ODS zip


def _unreadable_reason(data: bytes) -> str:
    """Why calamine cannot open a workbook, as a msgid."""
    if _password_protected(data):
        return PASSWORD_PROTECTED
    if data[30:38] == b"mimetype" and data[38:84] == _ODS_MIMETYPE:
        # An ODS file's real error (calamine refuses sheets over 100 million cells) only shows when
        # calamine is told the format, by the file's name; from bytes, it cannot tell the format.
        with tempfile.NamedTemporaryFile(suffix=".ods") as copy:
            copy.write(data)
            copy.flush()
            try:
                CalamineWorkbook.from_path(copy.name)
            except CalamineError as error:
                if str(error).startswith("Cell limit exceeded"):
                    return SHEET_TOO_LARGE
    return BAD_WORKBOOK


def _password_protected(data: bytes) -> bool:
    """Whether a workbook calamine cannot open is encrypted with a password: Excel wraps an
    encrypted XLSX in an OLE2 file whose content is the EncryptedPackage stream, and an encrypted
    XLS has a FILEPASS record straight after the workbook's BOF record."""
    bof = data.find(_XLS_BOF)
    return _ENCRYPTED_PACKAGE in data or (bof >= 0 and data[bof + 20:bof + 22] == _XLS_FILEPASS)


WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # XLSX and ODS (zips), XLS (an OLE2 compound file)
NOT_TEXT_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff")  # PDF, images


def open_table(source: BinaryIO, workbook_memory: int) -> CsvTable | SheetTable:
    """The file's table, its header checked; FileProblem when it cannot be imported at all."""
    head = source.read(BLOCK_BYTES)
    if not head.strip():
        raise FileProblem(EMPTY_FILE)
    if head.startswith(WORKBOOK_MAGIC):
        source.seek(0)
        return SheetTable(source, workbook_memory)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\0" in head:
        raise FileProblem(UTF16_TEXT)
    if head.startswith(NOT_TEXT_MAGIC) or b"\0" in head:
        raise FileProblem(NOT_A_TABLE)
    return CsvTable(source, head)


def check_header(source: BinaryIO, workbook_limit: int | None, workbook_memory: int) -> None:
    """Raise FileProblem for a file that obviously cannot be imported; leaves `source` at its start.

    A CSV file is checked from its first megabyte, but a workbook's header cannot be read without
    loading its whole sheet, so a workbook larger than `workbook_limit` bytes passes unread: its
    import (in the background) reports the same problems on its result page.
    """
    try:
        workbook = source.read(4).startswith(WORKBOOK_MAGIC)
        if workbook and workbook_limit is not None and source.seek(0, io.SEEK_END) > workbook_limit:
            return
        source.seek(0)
        with open_table(source, workbook_memory):
            pass
    finally:
        source.seek(0)


# --- checking rows -----------------------------------------------------------------------------

@dataclass
class Checked:
    """One block's rows, numbered from 1 within the block: what to stage, and what was refused.

    `indexes`, `hashes`, `digests` and `staged` run in step: each accepted row's index, ID hash,
    digest of its listed fields (its row_hash) and staged row. Rows with one ID number and one
    digest list a person alike. When sheets differ in the fields they list, a row's digest is one
    per kind of sheet (see RowChecker.kinds), of the fields its own sheet and that kind both list.
    """
    rows: int
    indexes: list[int]
    hashes: list[bytes]
    digests: list[bytes]
    staged: list  # as STAGED: tuples, or lines of PostgreSQL's COPY text format (see RowChecker)
    rejected: list[tuple[int, tuple | str]]  # (index, its refusal: see RowChecker.refusal)


STAGED = ("id_hash", "id_cipher", *LISTED, "row_hash")
REFUSED = ("import_id", "sheet_no", "row_no", "reason", "values")  # a RegistryRejection's columns
# COPY's text format: tab between fields, \N for NULL, bytea as \\x and hex, and these characters escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_NULL = "\\N"
_COPY_BOOL = {True: "t", False: "f", None: _COPY_NULL}


class RowChecker:
    """Checks rows, then hashes, encrypts and stages the good ones.

    With `copy_text`, staged rows and refusals are (lines or ends of lines of) PostgreSQL's COPY
    text format, made here (in the worker processes) so that staging them costs the importing
    process one write per block, even when a wrong file has every row refused.
    """

    def __init__(self, table: "CsvTable | SheetTable", today: date, vault: idnumbers.IdVault, *,
                 copy_text: bool = False):
        self.layout, self.parse, self.rows_at = table.layout, table.parse, table.rows_at
        self.today, self.vault, self.copy_text = today, vault, copy_text
        # A summary sheet may list columns some townships' sheets leave out. Each distinct set of
        # fields is a kind of sheet; two rows are compared on the fields both their sheets list.
        kinds = list(dict.fromkeys(table.sheet_fields or ()))
        self.kinds = len(kinds) or 1
        # Each sheet's kind, by its index (a CSV file's one list is sheet 0).
        self.kind_of = ([kinds.index(fields) for fields in table.sheet_fields] if kinds
                        else [0] * len(table.sheets or [0]))
        self._compared = [[itemgetter(*(i for i, field in enumerate(LISTED) if field in own & other))
                           for other in kinds] for own in kinds]
        columns = self.layout.columns
        self._pick = itemgetter(*(columns.get(field, len(self.layout.headers)) for field in ("id_number", *LISTED)))

    def check(self, block) -> Checked:
        indexes, numbers, good, rejected = [], [], [], []
        named, pad, pick, today = len(self.layout.headers), [""] * self.layout.width, self._pick, self.today
        normalize, problem, field_problem = idnumbers.normalize, idnumbers.problem, self._field_problem
        index = 0
        try:
            for index, cells in enumerate(self.parse(block), 1):
                # As wide as the header plus the always-empty column: cells past the header are ignored.
                if len(cells) == named:
                    cells.append("")
                else:
                    cells = cells[:named] + pad[min(len(cells), named):]
                raw_id, *texts = pick(cells)
                texts = list(map(str.strip, texts))
                if texts[YEAR_AT].endswith("年"):  # 2016年, as people write it
                    texts[YEAR_AT] = texts[YEAR_AT][:-1]
                region = texts[REGION_AT]
                # A 12-digit statistical code (9 digits when cut at the township): its county's 6 digits.
                if len(region) in (9, 12) and region.isdigit() and region.isascii():
                    texts[REGION_AT] = region[:6]
                number = normalize(raw_id)
                reason, params = problem(number, today), {}
                if reason is None:
                    reason, params = field_problem(texts)
                elif "E+" in number:
                    reason = ID_AS_NUMBER
                if reason is not None:
                    if any(cell.strip() for cell in cells):  # a blank line is skipped, not refused
                        rejected.append((index, self.refusal(reason, params, self._cells(cells))))
                    continue
                indexes.append(index)
                numbers.append(number)
                good.append(texts)
        except csv.Error:
            raise FileProblem(BAD_CSV) from None
        hashes = list(map(self.vault.hash, numbers))
        joined = ["\x1f".join(texts) for texts in good]
        digests = [blake2b(text.encode(), digest_size=16).digest() for text in joined]
        stage = self._copy_line if self.copy_text else self._values
        staged = list(map(stage, hashes, self.vault.encrypt_all(numbers), good, joined, digests))
        if self.kinds > 1:
            pickers = self._compared[self.kind_of[block.sheet]]
            digests = [b"".join(blake2b("\x1f".join(pick(texts)).encode(), digest_size=16).digest() for pick in pickers)
                       for texts in good]
        return Checked(index, indexes, hashes, digests, staged, rejected)

    @staticmethod
    def _values(id_hash: bytes, id_cipher: bytes, texts: list[str], _joined: str, row_hash: bytes) -> tuple:
        name, household, relation, region, county, township, village, year, status, dibao, phone = texts
        return (id_hash, id_cipher, name, household, relation, region, county, township, village,
                int(year) if year else None, STATUS_BY_LABEL.get(status), DIBAO.get(dibao), phone, row_hash)

    @staticmethod
    def _copy_line(id_hash: bytes, id_cipher: bytes, texts: list[str], joined: str, row_hash: bytes) -> str:
        if _COPY_SPECIAL.search(joined):
            texts = [text.translate(_COPY_ESCAPES) for text in texts]
        name, household, relation, region, county, township, village, year, status, dibao, phone = texts
        return (f"\\\\x{id_hash.hex()}\t\\\\x{id_cipher.hex()}\t{name}\t{household}\t{relation}\t{region}\t"
                f"{county}\t{township}\t{village}\t{year or _COPY_NULL}\t"
                f"{STATUS_BY_LABEL.get(status) or _COPY_NULL}\t{_COPY_BOOL[DIBAO.get(dibao)]}\t{phone}\t"
                f"\\\\x{row_hash.hex()}\n")

    def _field_problem(self, texts: list[str]) -> tuple[str | None, dict]:
        """What is wrong with a row's listed fields (in LISTED order), if anything."""
        name, household, _, region, _, _, _, year, status, dibao, _ = texts
        if not name:
            return NO_NAME, {}
        if not household:
            return NO_HOUSEHOLD, {}
        if region and not (len(region) == 6 and region.isdigit() and region.isascii()):
            return BAD_REGION_CODE, {}
        if year and not (len(year) == 4 and year.isdigit() and year.isascii()
                         and FIRST_YEAR <= int(year) <= self.today.year):
            return BAD_YEAR, {}
        if status and status not in STATUS_BY_LABEL:
            return BAD_STATUS, {}
        if dibao and dibao not in DIBAO:
            return BAD_DIBAO, {}
        if max(map(len, texts)) > SHORTEST_LIMIT:
            for field, text in zip(LISTED, texts):
                if len(text) > MAX_LENGTH.get(field, len(text)):
                    return TOO_LONG, {"column": HEADERS[field], "max": MAX_LENGTH[field]}
        return None, {}

    def cells(self, block, indexes: list[int]) -> list[dict[str, str]]:
        """The cells of some rows of a block (indexes ascending), for refusing rows that repeat earlier ones."""
        named = len(self.layout.headers)
        return [self._cells(row + [""] * (named - len(row))) for row in self.rows_at(block, indexes)]

    def refusal(self, reason: str, params: dict, cells: dict[str, str]) -> tuple[str, dict] | str:
        """A refused row's reason (a msgid), the reason's params and the row's cells, as REFUSED's
        last two columns: a tuple, or with `copy_text` the end of a line of COPY text."""
        values = {"cells": cells, "params": params}
        if not self.copy_text:
            return reason, values
        # JSON writes tabs and line breaks as \t and \n: only its backslashes need escaping for COPY.
        return f"{reason}\t" + json.dumps(values, ensure_ascii=False).replace("\\", "\\\\") + "\n"

    def _cells(self, cells: list[str]) -> dict[str, str]:
        """The named cells of a row as kept with a refusal: the ID number masked, long texts cut."""
        named = {header: cells[i][:CELL_CHARS] for i, header in enumerate(self.layout.headers) if header}
        id_header = self.layout.headers[self.layout.columns["id_number"]]
        named[id_header] = idnumbers.mask(idnumbers.normalize(cells[self.layout.columns["id_number"]]))
        return named


# Worker processes are forked, so each inherits the checker and its ID-number keys as they are
# (the AES key cannot be pickled), and nothing is set up twice.
_worker_checker: RowChecker | None = None


def _start_worker(checker: RowChecker) -> None:
    # Never collect what the fork inherited: finalising a copy of the parent's database connection
    # would close the connection the parent is still using.
    gc.freeze()
    global _worker_checker
    _worker_checker = checker


def _check_in_worker(block) -> Checked:
    return _worker_checker.check(block)


def checked_blocks(table: CsvTable | SheetTable, checker: RowChecker) -> Iterator[tuple[object, Checked]]:
    """Each block of the table with its checked rows, in file order.

    A long file is checked by worker processes, with a few blocks in flight at a time, so memory
    stays flat whatever the file's length.
    """
    if table.estimate < PARALLEL_ROWS:
        for block in table.blocks():
            yield block, checker.check(block)
        return
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("fork"), initializer=_start_worker,
                             initargs=(checker,)) as pool:
        pending: deque = deque()
        for block in table.blocks():
            pending.append((block, pool.submit(_check_in_worker, block)))
            if len(pending) > 2 * WORKERS:
                block, future = pending.popleft()
                yield block, future.result()
        while pending:
            block, future = pending.popleft()
            yield block, future.result()
