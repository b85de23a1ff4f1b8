"""Importing the registry file through the admin's form: formats and encodings, bad rows listed by
row number, whole-file problems refused with nothing changed, re-imports that change nothing,
people who leave and come back, and no ID number ever stored in plaintext."""
import io
import json
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import JSON, LargeBinary, String, create_engine, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool
from stdnum.cn import ric

from portal.audit.models import AuditEntry
from portal.common.idnumbers import mask, vault
from portal.common.jobs import HEARTBEAT_KEY
from portal.db import today
from portal.registry import importer, services
from portal.registry.models import (
    ChangeKind,
    ImportStatus,
    PovertyStatus,
    RegistryChange,
    RegistryFile,
    RegistryImport,
    RegistryPerson,
    RegistryRejection,
)
from portal.registry.services import lookup

FILES = Path(__file__).parent / "files"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９ｘ")


def people(db) -> dict[str, RegistryPerson]:
    """Everyone ever listed, by name."""
    db.session.expire_all()
    return {p.name: p for p in db.session.scalars(select(RegistryPerson))}


def rejections(db, batch) -> list[tuple[int, str, dict]]:
    return [(r.row_no, r.reason, r.values) for r in db.session.scalars(
        select(RegistryRejection).where(RegistryRejection.import_id == batch.id).order_by(RegistryRejection.row_no))]


def id_ending_in_x(id_number) -> str:
    while not (number := id_number()).endswith("X"):
        pass
    return number


# --- formats and encodings ---------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_is_detected_and_imported(db, import_file, registry_csv, row, id_number, text,
                                                        as_admin, encoding):
    # 䶮 (CJK Extension A) is in GB18030 but not GBK, so only that file uses it.
    rare = "刘䶮" if encoding == "gb18030" else "刘岩"
    numbers = [id_number() for _ in range(3)]
    rows = [row(numbers[0], "黎小海"), row(numbers[1], "符阿妹", 与户主关系="之女"),
            row(numbers[2], rare, 与户主关系="户主", 脱贫状态="监测对象", 是否低保="是")]
    data = registry_csv(rows, encoding=encoding)

    batch = import_file(data)

    assert (batch.status, batch.added, batch.rejected, batch.error) == (ImportStatus.done, 3, 0, None)
    listed = people(db)
    assert set(listed) == {"黎小海", "符阿妹", rare}
    householder = listed[rare]
    assert (householder.relation, householder.poverty_status, householder.dibao, householder.county,
            householder.year_identified) == ("户主", PovertyStatus.monitored, True, "琼山区", 2016)
    assert lookup(numbers[2]).id == householder.id
    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "已完成" in page and "新增 3" in page and "被拒绝的行 0" in page


def test_xlsx_with_numbers_in_cells_is_imported(db, import_file, registry_xlsx, id_number):
    a, b = id_number(), id_number()
    # Excel keeps household numbers and years as numbers, 是否低保 sometimes as TRUE/FALSE.
    data = registry_xlsx([
        ["黎小海", a, 4601070010001, "之子", 460107, "琼山区", "云龙镇", "云蛟村", 2016, "已脱贫", False, 13800138000],
        ["符阿妹", b, 4601070010001.0, "之女", "460107", "琼山区", "云龙镇", "云蛟村", 2017.0, "返贫", True, None]])

    batch = import_file(data, "名单.xlsx")

    assert (batch.status, batch.added, batch.rejected) == (ImportStatus.done, 2, 0)
    listed = people(db)
    assert (listed["黎小海"].household_no, listed["黎小海"].region_code, listed["黎小海"].phone,
            listed["黎小海"].dibao) == ("4601070010001", "460107", "13800138000", False)
    assert (listed["符阿妹"].year_identified, listed["符阿妹"].poverty_status, listed["符阿妹"].dibao) == (
        2017, PovertyStatus.relapsed, True)


def test_xlsx_id_stored_as_a_number_is_refused_with_the_reason(db, import_file, registry_xlsx, id_number, text,
                                                                as_admin):
    data = registry_xlsx([["黎小海", float(id_number()), "H1"], ["符阿妹", id_number(), "H1"]],
                         header=["姓名", "身份证号", "户编号"])

    batch = import_file(data, "名单.xlsx")

    assert (batch.added, batch.rejected) == (1, 1)
    [(row_no, reason, _)] = rejections(db, batch)
    assert row_no == 2 and reason == importer.ID_AS_NUMBER
    assert "身份证号被 Excel 存成了数字" in text(as_admin.get(f"/admin/registry/imports/{batch.id}"))


def test_old_xls_workbook_is_imported(db, import_file):
    """registry.xls, in the Excel 97–2003 format: 黎小海 and 符阿妹 of household 4601070010001 (a
    number cell, as are the years), and 王错号, whose ID number has a wrong check digit."""
    batch = import_file((FILES / "registry.xls").read_bytes(), "名单.xls")

    assert (batch.status, batch.added, batch.rejected) == (ImportStatus.done, 2, 1)
    [(row_no, reason, values)] = rejections(db, batch)
    assert (row_no, reason, values["cells"]["姓名"]) == (4, "身份证号有一位填错了，请对照身份证逐位核对。", "王错号")
    listed = people(db)
    assert (listed["黎小海"].household_no, listed["黎小海"].year_identified, listed["黎小海"].dibao) == (
        "4601070010001", 2016, False)
    assert (listed["符阿妹"].poverty_status, listed["符阿妹"].dibao) == (PovertyStatus.relapsed, True)
    assert lookup("460107201003152226").name == "符阿妹"


def test_the_registry_is_read_from_the_first_sheet_that_has_its_header(db, import_file, id_number, as_admin, text):
    """A workbook may open with a cover or notes sheet; a hidden sheet with a header is passed over.
    The result page names the sheet read, where its row numbers are to be found."""
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["本表由县乡村振兴局导出，身份证号请勿外传。"])
    hidden = workbook.create_sheet("旧名单")
    hidden.append(["姓名", "身份证号", "户编号"])
    hidden.append(["旧人", id_number(), "H0"])
    hidden.sheet_state = "hidden"
    listed = workbook.create_sheet("名单")
    number = id_number()
    listed.append(["姓名", "身份证号", "户编号"])
    listed.append(["黎小海", number, "H1"])
    out = io.BytesIO()
    workbook.save(out)

    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.status, batch.added) == (ImportStatus.done, 1)
    assert lookup(number).name == "黎小海" and {p.name for p in people(db).values()} == {"黎小海"}
    assert "读取的工作表 名单" in text(as_admin.get(f"/admin/registry/imports/{batch.id}"))


def test_a_list_per_township_on_several_sheets_is_imported_as_one(db, import_file, registry_csv, row, id_number,
                                                                  as_admin, text):
    """One sheet per township, as some offices send the registry: each sheet with its own column
    order, header names and title rows is read, in order, as one full list. Nobody on the later
    sheets is marked as left; a refused row names its sheet, on the page and in the download; an ID
    number repeated on another sheet names the sheet that listed it first."""
    xiaohai, ming, gone = id_number(), id_number(), id_number()
    import_file(registry_csv([row(xiaohai, "黎小海"), row(ming, "王小明"), row(gone, "陈旧")]))
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["各乡镇名单分表填写，身份证号请勿外传。"])
    yunlong = workbook.create_sheet("云龙镇")
    yunlong.append(["姓名", "身份证号", "户编号", "村"])
    yunlong.append(["黎小海", xiaohai, "H1", "云蛟村"])
    yunlong.append(["符阿妹", "460107200801011234", "H1", "云蛟村"])  # a wrong check digit, in row 3
    hongqi = workbook.create_sheet("红旗镇")
    hongqi.append(["红旗镇脱贫人口名单"])
    hongqi.append(["户编号", "身份证号码", "姓名", "联系电话", "备注"])
    hongqi.append(["H2", ming, "王小明", "13800000000", "新增"])
    hongqi.append(["H3", xiaohai, "黎小海", "", ""])  # row 4: listed on 云龙镇 already
    out = io.BytesIO()
    workbook.save(out)

    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.status, batch.sheets, batch.unknown_columns) == (ImportStatus.done, ["云龙镇", "红旗镇"], ["备注"])
    assert (batch.updated, batch.left, batch.rejected, batch.rows_total) == (2, 1, 2, 4)
    listed = people(db)
    assert not listed["陈旧"].in_registry and listed["王小明"].in_registry and listed["黎小海"].in_registry
    assert (listed["王小明"].phone, listed["黎小海"].village, listed["黎小海"].household_no) == (
        "13800000000", "云蛟村", "H1")
    refused = db.session.execute(select(RegistryRejection.sheet_no, RegistryRejection.row_no, RegistryRejection.reason)
                                 .where(RegistryRejection.import_id == batch.id)).all()
    assert sorted(refused) == [(0, 3, "身份证号有一位填错了，请对照身份证逐位核对。"),
                               (1, 4, importer.DUPLICATE_ID_ON_SHEET)]

    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "读取的工作表 云龙镇、红旗镇" in page
    assert "行号 工作表 原因 该行内容 第 3 行 云龙镇 身份证号有一位填错了" in page
    assert "第 4 行 红旗镇 身份证号与“云龙镇”工作表第 2 行相同，其他信息却不一样；导入的是那一行。 姓名：黎小海" in page
    download = load_workbook(io.BytesIO(as_admin.get(f"/admin/registry/imports/{batch.id}/rejections.xlsx").data))
    rows = list(download.active.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "原因", "姓名", "身份证号", "户编号", "村", "联系电话", "备注")
    assert [r[:3] for r in rows[1:]] == [
        ("云龙镇", 3, "身份证号有一位填错了，请对照身份证逐位核对。"),
        ("红旗镇", 4, "身份证号与“云龙镇”工作表第 2 行相同，其他信息却不一样；导入的是那一行。")]


def test_a_summary_sheet_and_the_townships_sheets_list_each_person_once(db, import_file, id_number, as_admin, text):
    """A workbook with a summary of everyone and then each township's own sheet, as offices keep
    them: each person is listed twice, alike in every column both sheets have (a township's sheet
    leaves out 乡镇), and is counted once; nobody is refused. A row that lists someone differently
    from their first listing is still refused, naming that row."""
    people_listed = [("黎小海", id_number(), "H1", "云龙镇"), ("符阿妹", id_number(), "H1", "云龙镇"),
                     ("王小明", id_number(), "H2", "红旗镇")]
    workbook = Workbook()
    workbook.active.title = "汇总"
    workbook.active.append(["姓名", "身份证号", "户编号", "乡镇"])
    for person in people_listed:
        workbook.active.append(list(person))
    for township in ("云龙镇", "红旗镇"):
        sheet = workbook.create_sheet(township)
        sheet.append(["户编号", "姓名", "身份证号"])
        for name, number, household, where in people_listed:
            if where == township:
                sheet.append([household, name, number])
    workbook["红旗镇"].append(["H9", "王小明", people_listed[2][1]])  # row 3: another household
    out = io.BytesIO()
    workbook.save(out)

    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.status, batch.added, batch.repeated, batch.rejected) == (ImportStatus.done, 3, 3, 1)
    assert {name: (person.household_no, person.township) for name, person in people(db).items()} == {
        "黎小海": ("H1", "云龙镇"), "符阿妹": ("H1", "云龙镇"), "王小明": ("H2", "红旗镇")}
    refused = db.session.execute(select(RegistryRejection.sheet_no, RegistryRejection.row_no, RegistryRejection.values)
                                 .where(RegistryRejection.import_id == batch.id)).all()
    assert [(sheet, row_no, values["params"]) for sheet, row_no, values in refused] == [
        (2, 3, {"row": 4, "sheet": "汇总"})]
    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "被拒绝的行 1 重复列出的行 3（与前面某行所列相同，只计一次）" in page


@pytest.mark.parametrize("in_workers", [False, True])
def test_a_repeat_is_compared_on_the_columns_both_its_sheets_list(db, import_file, id_number, monkeypatch,
                                                                    in_workers):
    """Township sheets that each leave out a different column of the summary sheet: a township's row
    that contradicts the summary in a column the two share is refused, though a third sheet lacks
    that column; one alike in the columns the two share is counted once. Checked in this process
    or, two rows a block, in worker processes."""
    if in_workers:
        monkeypatch.setattr(importer, "PARALLEL_ROWS", 0)
        monkeypatch.setattr(importer, "XLSX_BLOCK_ROWS", 2)
    xiaohai, amei, ming, hong = id_number(), id_number(), id_number(), id_number()
    workbook = Workbook()
    workbook.active.title = "汇总"
    workbook.active.append(["姓名", "身份证号", "户编号", "乡镇", "联系电话"])
    workbook.active.append(["黎小海", xiaohai, "H1", "云龙镇", "13800000001"])
    workbook.active.append(["符阿妹", amei, "H1", "云龙镇", "13800000002"])
    workbook.active.append(["王小明", ming, "H2", "红旗镇", "13800000003"])
    workbook.active.append(["陈红", hong, "H3", "红旗镇", "13800000004"])
    yunlong = workbook.create_sheet("云龙镇")  # lists 乡镇, not 联系电话
    yunlong.append(["姓名", "身份证号", "户编号", "乡镇"])
    yunlong.append(["黎小海", xiaohai, "H1", "云龙镇"])
    yunlong.append(["符阿妹", amei, "H1", "红旗镇"])  # row 3: another township than the summary's
    hongqi = workbook.create_sheet("红旗镇")  # lists 联系电话, not 乡镇
    hongqi.append(["姓名", "身份证号", "户编号", "联系电话"])
    hongqi.append(["王小明", ming, "H2", "13800000003"])
    hongqi.append(["陈红", hong, "H3", "13900000000"])  # row 3: another phone than the summary's
    out = io.BytesIO()
    workbook.save(out)

    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.status, batch.added, batch.repeated, batch.rejected) == (ImportStatus.done, 4, 2, 2)
    assert {name: (person.township, person.phone) for name, person in people(db).items()} == {
        "黎小海": ("云龙镇", "13800000001"), "符阿妹": ("云龙镇", "13800000002"),
        "王小明": ("红旗镇", "13800000003"), "陈红": ("红旗镇", "13800000004")}
    refused = db.session.execute(select(RegistryRejection.sheet_no, RegistryRejection.row_no, RegistryRejection.values)
                                 .where(RegistryRejection.import_id == batch.id)
                                 .order_by(RegistryRejection.sheet_no)).all()
    assert [(sheet, row_no, values["params"]) for sheet, row_no, values in refused] == [
        (1, 3, {"row": 3, "sheet": "汇总"}), (2, 3, {"row": 5, "sheet": "汇总"})]


def test_xlsx_rows_are_numbered_as_excel_shows_them(db, import_file, id_number):
    """A sheet starting in column B, with a blank row and a date typed into 户编号: the refused row
    is reported under the row number Excel shows, and the blank row is skipped."""
    workbook = Workbook()
    sheet = workbook.active
    sheet["B1"], sheet["C1"], sheet["D1"] = "姓名", "身份证号", "户编号"
    sheet.append([None, "黎小海", id_number(), "H1"])  # row 2
    # row 3 is left blank
    sheet["B4"], sheet["C4"], sheet["D4"] = "符阿妹", "460107200801011234", date(2024, 5, 1)  # bad check digit
    sheet["B5"], sheet["C5"], sheet["D5"] = "王小明", id_number(), date(2024, 5, 1)
    out = io.BytesIO()
    workbook.save(out)

    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.status, batch.added, batch.rejected, batch.rows_total) == (ImportStatus.done, 2, 1, 4)
    [(row_no, reason, values)] = rejections(db, batch)
    assert (row_no, reason, values["cells"]["姓名"]) == (4, "身份证号有一位填错了，请对照身份证逐位核对。", "符阿妹")
    assert people(db)["王小明"].household_no == "2024-05-01"


@pytest.mark.parametrize("saved_as", ["名单.xlsx", "名单.csv"])
def test_a_title_and_notes_above_the_header_are_skipped(db, import_file, id_number, saved_as):
    """As offices export it: a title across the columns, a date line and a blank row, then the
    header in row 4. Rows keep the numbers the spreadsheet shows."""
    rows = [["琼山区建档立卡脱贫人口名单", "", ""], ["填报日期：2024年5月", "", ""], ["", "", ""],
            ["姓名", "身份证号", "户编号"],
            ["黎小海", id_number(), "H1"],
            ["符阿妹", "460107200801011234", "H1"],  # a wrong check digit, in row 6
            ["王小明", id_number(), "H2"]]
    if saved_as.endswith(".xlsx"):
        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.active.merge_cells("A1:C1")
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
    else:
        data = "\r\n".join(",".join(row) for row in rows).encode("gbk")

    batch = import_file(data, saved_as)

    assert (batch.status, batch.added, batch.rejected, batch.rows_total) == (ImportStatus.done, 2, 1, 3)
    assert [(row_no, values["cells"]["姓名"]) for row_no, _, values in rejections(db, batch)] == [(6, "符阿妹")]
    assert batch.unknown_columns == []


@pytest.mark.parametrize("id_header", ["证件号码", "身份证号码", "公民身份号码"])
def test_alias_column_any_order_and_untrimmed_headers(db, import_file, registry_csv, id_number, id_header):
    number = id_number()
    data = registry_csv([{" 户编号 ": "H7", id_header: number, "姓名　": "黎小海"}],
                        header=[" 户编号 ", id_header, "姓名　"])

    batch = import_file(data)

    assert (batch.added, batch.rejected, batch.unknown_columns) == (1, 0, [])
    assert lookup(number).household_no == "H7"


HEADER_WITH_EXTRA = ["姓名", "备注", "身份证号", "户编号", "民族"]


def test_unknown_columns_are_reported_and_ignored(db, import_file, registry_csv, row, id_number, as_admin, text):
    data = registry_csv([{**row(id_number()), "备注": "外出务工", "民族": "黎族"}], header=HEADER_WITH_EXTRA)

    batch = import_file(data)

    assert batch.added == 1 and batch.unknown_columns == ["备注", "民族"]
    assert "以下列不认识，已忽略：备注、民族" in text(as_admin.get(f"/admin/registry/imports/{batch.id}"))


@pytest.mark.parametrize("block_bytes", [importer.BLOCK_BYTES, 40])
def test_quoted_fields_crlf_tabs_and_blank_lines(db, import_file, registry_csv, id_number, monkeypatch, block_bytes):
    monkeypatch.setattr(importer, "BLOCK_BYTES", block_bytes)  # 40: blocks end inside quoted line breaks
    a, b = id_number(), id_number()
    data = registry_csv([{"姓名": "黎小海", "身份证号": a, "户编号": "H1", "村": "云蛟村,\n三队"},
                         {}, {"姓名": "符阿妹", "身份证号": b, "户编号": "H1"}],
                        header=["姓名", "身份证号", "户编号", "村"], delimiter="\t", newline="\r\n")

    batch = import_file(data)

    assert (batch.added, batch.rejected) == (2, 0)
    assert people(db)["黎小海"].village == "云蛟村,\n三队"


def test_a_semicolon_separated_list_under_a_title_is_imported(db, import_file, registry_csv, id_number):
    """Excel saves CSV with semicolons on a computer set to a region that writes decimal commas."""
    a, b = id_number(), id_number()
    data = ("某县脱贫人口名单（2026年）\n"
            + registry_csv([{"姓名": "黎小海", "身份证号": a, "户编号": "H1", "村": "云蛟村,三队"},
                            {"姓名": "符阿妹", "身份证号": b, "户编号": "H1"}],
                           header=["姓名", "身份证号", "户编号", "村"], delimiter=";").decode()).encode()

    batch = import_file(data)

    assert (batch.added, batch.rejected, batch.unknown_columns) == (2, 0, [])
    assert people(db)["黎小海"].village == "云蛟村,三队"


def test_backslashes_tabs_and_carriage_returns_in_cells_are_kept_as_written(db, import_file, registry_csv, id_number):
    """In the registry, and in the cells kept with refused rows: a row with no name, and a repeat."""
    village = "南\\北\t一队\r\n\\N"  # \N is how PostgreSQL's COPY writes NULL
    number = id_number()
    batch = import_file(registry_csv([{"姓名": "黎小海", "身份证号": number, "户编号": "H\\1", "村": village},
                                      {"姓名": "", "身份证号": id_number(), "户编号": "H\\2", "村": village},
                                      {"姓名": "黎小海", "身份证号": number, "户编号": "H\\3", "村": village}],
                                     header=["姓名", "身份证号", "户编号", "村"]))

    assert (batch.added, batch.rejected) == (1, 2)
    person = people(db)["黎小海"]
    assert (person.village, person.household_no) == (village, "H\\1")
    refused = [(reason, values["cells"]["户编号"], values["cells"]["村"])
               for _, reason, values in rejections(db, batch)]
    assert refused == [(importer.NO_NAME, "H\\2", village), (importer.DUPLICATE_ID, "H\\3", village)]


def test_id_numbers_exported_as_text_for_excel_are_read(db, import_file, id_number):
    """Many systems export ID numbers as ="…" or with a leading ' so that Excel keeps them as text."""
    a, b, c = id_number(), id_number(), id_number()
    data = f'姓名,身份证号,户编号\n黎小海,="{a}",H1\n符阿妹,"=""{b}""",H1\n王小明,\'{c},H1\n'.encode("gbk")

    batch = import_file(data)

    assert (batch.added, batch.rejected) == (3, 0)
    assert lookup(a).name == "黎小海" and lookup(b).name == "符阿妹" and lookup(c).name == "王小明"


def test_short_rows_and_cells_past_the_header(db, import_file, id_number):
    a, b = id_number(), id_number()
    data = f"姓名,身份证号,户编号\n黎小海,{a},H1,之子,多余\n符阿妹,{b}\n".encode()

    batch = import_file(data)

    assert (batch.added, batch.rejected) == (1, 1)
    assert people(db)["黎小海"].relation == ""  # the cell past the header is not read as a column
    assert rejections(db, batch)[0][:2] == (3, importer.NO_HOUSEHOLD)


# --- bad rows ----------------------------------------------------------------------------------

def test_bad_rows_are_listed_by_row_number_and_the_rest_imported(db, import_file, registry_csv, row, id_number,
                                                                 as_admin, text):
    good, x_number = id_number(), id_ending_in_x(id_number)
    wrong_digit = good[:17] + str((int(good[17]) + 1) % 10) if good[17] != "X" else good[:17] + "0"
    born_later = make_future_id()
    rows = [
        row(good, "正常"),                                                   # row 2
        row(wrong_digit, "校验位错"),                                         # row 3
        row(born_later, "未出生"),                                            # row 4
        row("999999" + good[6:17] + ric.calc_check_digit(f"999999{good[6:17]}0"), "地区码错"),  # row 5
        row(" ".join(id_number().translate(FULL_WIDTH)), "全角数字"),          # row 6: accepted
        row(x_number.lower(), "小写x"),                                       # row 7: accepted
        row(id_number(), ""),                                                # row 8
        row(id_number(), "无户号", 户编号=""),                                 # row 9
        row(id_number(), "区划错", 行政区划代码="46010"),                       # row 10
        row(id_number(), "年度错", 识别年度=str(date.today().year + 1)),        # row 11
        row(id_number(), "状态错", 脱贫状态="已退出"),                          # row 12
        row(id_number(), "低保错", 是否低保="不是"),                            # row 13
        row(good, "重复"),                                                   # row 14
        row(id_number(), "名字太长" * 20),                                     # row 15
    ]

    batch = import_file(registry_csv(rows))

    assert (batch.status, batch.added, batch.rejected) == (ImportStatus.done, 3, 11)
    assert set(people(db)) == {"正常", "全角数字", "小写x"}
    assert lookup(x_number).name == "小写x"
    assert [(row_no, reason) for row_no, reason, _ in rejections(db, batch)] == [
        (3, "身份证号有一位填错了，请对照身份证逐位核对。"), (4, "身份证号中的出生日期晚于今天。"),
        (5, "身份证号前6位（地区编码）不对，请对照身份证核对。"), (8, importer.NO_NAME), (9, importer.NO_HOUSEHOLD),
        (10, importer.BAD_REGION_CODE), (11, importer.BAD_YEAR), (12, importer.BAD_STATUS), (13, importer.BAD_DIBAO),
        (14, importer.DUPLICATE_ID), (15, importer.TOO_LONG)]
    kept = {row_no: values for row_no, _, values in rejections(db, batch)}
    assert kept[3]["cells"]["身份证号"] == mask(wrong_digit) and kept[3]["cells"]["姓名"] == "校验位错"
    assert kept[14]["params"] == {"row": 2}
    assert kept[15]["params"] == {"column": "姓名", "max": 64}

    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "第 3 行 身份证号有一位填错了，请对照身份证逐位核对。 姓名：校验位错" in page
    assert "第 14 行 身份证号与第 2 行相同，其他信息却不一样；导入的是那一行。" in page
    assert "第 15 行 “姓名”超过 64 个字。" in page
    assert "第 12 行 脱贫状态应为“未脱贫”“已脱贫”“返贫”或“监测对象”。" in page
    assert good not in page and wrong_digit not in page


@pytest.mark.parametrize("saved_as", ["名单.csv", "名单.xlsx"])
def test_statistical_region_codes_are_read_as_their_county(db, import_file, registry_csv, registry_xlsx, row,
                                                           id_number, saved_as):
    """Lists exported from the monitoring system carry the 12-digit statistical code of the village
    (or 9 digits, of the township): the county's 6 digits are kept. Other lengths are refused."""
    codes = {"村级": "469030100201", "乡级": "469030100", "位数错": "4690301002011", "字母": "469030ABC"}
    rows = [row(id_number(), name, 行政区划代码=code) for name, code in codes.items()]
    if saved_as.endswith(".xlsx"):  # typed into Excel, the 12 digits become a number
        rows[0]["行政区划代码"] = 469030100201
        data = registry_xlsx([list(r.values()) for r in rows])
    else:
        data = registry_csv(rows)

    batch = import_file(data, saved_as)

    assert (batch.added, batch.rejected) == (2, 2)
    assert {name: person.region_code for name, person in people(db).items()} == {"村级": "469030", "乡级": "469030"}
    assert [(row_no, reason) for row_no, reason, _ in rejections(db, batch)] == [
        (4, importer.BAD_REGION_CODE), (5, importer.BAD_REGION_CODE)]


def test_a_year_written_with_its_character_is_read(db, import_file, registry_csv, row, id_number):
    number = id_number()

    batch = import_file(registry_csv([row(number, 识别年度="2016年")]))

    assert (batch.added, batch.rejected) == (1, 0) and lookup(number).year_identified == 2016


def make_future_id() -> str:
    body = f"460107{date.today() + timedelta(days=400):%Y%m%d}123"
    return body + ric.calc_check_digit(body + "0")


def test_rejected_rows_download_as_xlsx(db, import_file, registry_csv, row, id_number, as_admin):
    good = id_number()
    batch = import_file(registry_csv([row(good), row(id_number(), ""), row(good, "重复"),
                                      row("=HYPERLINK(\"x\")", "公式", 村="云\x01蛟村")]))

    response = as_admin.get(f"/admin/registry/imports/{batch.id}/rejections.xlsx")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"rejected-rows-{batch.id}.xlsx\"; filename*=UTF-8''{quote('被拒绝的行-名单.xlsx')}")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "原因", *HEADER_ROW)
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        (3, "姓名为空。", None), (4, "身份证号与第 2 行相同，其他信息却不一样；导入的是那一行。", "重复"),
        (5, "身份证号应为18位。", "公式")]
    assert rows[2][3] == mask(good) and good not in str(rows)
    assert rows[3][9] == "云蛟村"


HEADER_ROW = ("姓名", "身份证号", "户编号", "与户主关系", "行政区划代码", "县", "乡镇", "村", "识别年度", "脱贫状态",
              "是否低保", "联系电话")


def test_template_filled_in_excel_imports(db, import_file, as_admin, id_number, text):
    page = text(as_admin.get("/admin/registry"))
    assert "下载名单模板（XLSX）" in page and "Excel 不会把号码改成数字" in page

    response = as_admin.get("/admin/registry/template.xlsx")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"filename*=UTF-8''{quote('建档立卡名单模板.xlsx')}")
    workbook = load_workbook(io.BytesIO(response.data))
    sheet, notes = workbook.worksheets
    assert [cell.value for cell in sheet[1]] == list(HEADER_ROW)
    columns = {header: cell.column_letter for header, cell in zip(HEADER_ROW, sheet[1])}
    for header in ("身份证号", "户编号", "行政区划代码", "联系电话"):  # typed digits stay text
        assert sheet.column_dimensions[columns[header]].number_format == "@"
    assert sheet.column_dimensions[columns["姓名"]].number_format == "General"
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {f"{columns['脱贫状态']}2": '"未脱贫,已脱贫,返贫,监测对象"', f"{columns['是否低保']}2": '"是,否"'}
    assert [row[0] for row in notes.iter_rows(min_row=2, max_row=13, values_only=True)] == list(HEADER_ROW)
    assert notes["B2"].value == "必填" and notes["B5"].value == "选填"

    # The clerk types two people in; Excel keeps the ID numbers as text and the year as a number.
    a, b = id_number(), id_number()
    sheet.append(["黎小海", a, "4601070010001", "户主", "460107", "琼山区", "云龙镇", "云蛟村", 2016, "已脱贫", "否",
                  "13800138000"])
    sheet.append(["黎小红", b, "4601070010001", "之女", None, None, None, None, 2016, "监测对象", "是", None])
    out = io.BytesIO()
    workbook.save(out)
    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.status, batch.added, batch.rejected) == (ImportStatus.done, 2, 0)
    assert lookup(b).poverty_status == PovertyStatus.monitored and lookup(a).household_no == "4601070010001"


CALC_PYTHON = "/usr/bin/python3"  # Debian's Python, which has LibreOffice's uno module (python3-uno)
CALC_TYPING = Path(__file__).with_name("calc_typing.py")


def type_in_calc(tmp_path, workbook: bytes, rows: list[list[str]], saved_as: str) -> tuple[bytes, dict]:
    """The workbook after a clerk types `rows` under its header in LibreOffice Calc and saves it
    (XLSX or ODS, by `saved_as`), and what Calc made of each typed cell: (row, column) → TEXT or VALUE."""
    source, target = tmp_path / "blank.xlsx", tmp_path / saved_as
    source.write_bytes(workbook)
    done = subprocess.run([CALC_PYTHON, str(CALC_TYPING), str(source), str(target), json.dumps(rows)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    kinds = {(int(r), int(c)): kind for r, c, kind, *_ in map(str.split, done.stdout.splitlines())}
    return target.read_bytes(), kinds


@pytest.mark.parametrize("saved_as", ["名单.xlsx", "名单.ods"])
def test_template_typed_in_a_spreadsheet_program_keeps_id_numbers(db, import_file, as_admin, id_number, tmp_path,
                                                                    saved_as):
    """The template's text columns work in a real spreadsheet program: an ID number typed into one
    stays 18 digits of text. Saved as ODS (LibreOffice's own format), it imports too."""
    template = as_admin.get("/admin/registry/template.xlsx").data
    a, b = id_number(), id_number()
    rows = [["黎小海", a, "4601070010001", "户主", "460107", "琼山区", "云龙镇", "云蛟村", "2016", "已脱贫", "否",
             "13800138000"],
            ["黎小红", b, "4601070010001", "之女", "", "", "", "", "2016", "监测对象", "是", ""]]

    data, kinds = type_in_calc(tmp_path, template, rows, saved_as)

    assert kinds[2, 2] == kinds[3, 2] == kinds[2, 12] == "TEXT" and kinds[2, 9] == "VALUE"  # the year is a number
    batch = import_file(data, saved_as)
    assert (batch.status, batch.added, batch.rejected) == (ImportStatus.done, 2, 0)
    assert lookup(a).phone == "13800138000" and lookup(b).poverty_status == PovertyStatus.monitored


def test_id_typed_into_a_plain_sheet_is_refused_with_the_reason(db, import_file, id_number, tmp_path):
    """Without the template, the spreadsheet program turns a typed ID number into a number and
    drops its last digits: the import says so rather than guessing them."""
    plain = Workbook()
    plain.active.append(["姓名", "身份证号", "户编号"])
    blank = io.BytesIO()
    plain.save(blank)

    data, kinds = type_in_calc(tmp_path, blank.getvalue(), [["黎小海", id_number(), "H1"]], "名单.xlsx")

    assert kinds[2, 2] == "VALUE"
    batch = import_file(data, "名单.xlsx")
    assert (batch.added, batch.rejected) == (0, 1)
    assert rejections(db, batch)[0][:2] == (2, importer.ID_AS_NUMBER)


def test_a_long_list_of_rejections_is_paged(db, import_file, registry_csv, row, id_number, as_admin, text,
                                            monkeypatch):
    monkeypatch.setattr("portal.registry.views.REJECTIONS_PER_PAGE", 2)
    batch = import_file(registry_csv([row(id_number())] + [row(id_number(), "") for _ in range(5)]))

    first, last = as_admin.get(f"/admin/registry/imports/{batch.id}"), \
        as_admin.get(f"/admin/registry/imports/{batch.id}?page=3")

    assert "第 1 / 3 页" in text(first) and 'rel="next"' in first.text
    assert "第 7 行 姓名为空。" in text(last) and "第 6 行" not in text(last)


# --- whole-file problems -----------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    (b"", "文件是空的。"),
    (b"  \r\n", "文件是空的。"),
    ("姓名,户编号\n黎小海,H1\n".encode(), "文件中没有“身份证号”列（也可以叫“身份证号码”或“证件号码”）。"),
    ("身份证号,户编号\n".encode("gbk"), "文件中没有“姓名”列。"),
    ("姓名,身份证号,证件号码,户编号\n".encode(), "列名有重复"),
    ("姓名,身份证号码,身份证号,户编号\n".encode(), "身份证号也只能有一列"),
    (b"\r\n" * 10 + "姓名,身份证号,户编号\n".encode(), "文件的前 10 行都是空的，找不到列名。"),
    ("名单\n".encode() * 10 + "姓名,身份证号,户编号\n".encode(), "列名应在第一行，或在表格标题下面（前 10 行内）。"),
    (b"%PDF-1.7\n...", "文件不是 XLSX、XLS、ODS 或 CSV 格式。"),
    ("姓名\t身份证号\t户编号\n".encode("utf-16"), "文件是“Unicode 文本”格式，不能导入。请在 Excel 或 WPS 中把它另存为"),
    (b"PK\x03\x04 not really a zip", "Excel 文件无法打开"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really a workbook", "Excel 文件无法打开"),
    # registry.xls with the password 1234: saved as XLSX and encrypted as Excel does (msoffcrypto-tool),
    # and saved as XLS with a password in LibreOffice.
    ((FILES / "password.xlsx").read_bytes(), "文件设置了打开密码，无法读取。请在 Excel 或 WPS 中打开它，取消密码"),
    ((FILES / "password.xls").read_bytes(), "文件设置了打开密码，无法读取。"),
    (b"\xff\xfe\xfd,\xff\n", "无法识别 CSV 文件的文字编码"),
])
def test_a_file_that_cannot_be_imported_is_refused_on_the_form(db, upload, registry_state, text, data, message):
    before = registry_state()

    response = upload(data)

    assert response.status_code == 200
    assert message in text(response) and "请按提示修改标出的内容后再提交。" in text(response)
    assert registry_state() == before


def test_a_file_failing_after_its_first_rows_changes_nothing(db, import_file, registry_csv, row, id_number,
                                                              registry_state, as_admin, text, monkeypatch):
    import_file(registry_csv([row(id_number(), "早已在册")]))
    before = registry_state(imports=False)
    monkeypatch.setattr(importer, "BLOCK_BYTES", 256)  # so the bad bytes are met block by block
    data = registry_csv([row(id_number(), "甲"), row(id_number(), "")]) + b"\xff\xff,\xff\n"

    batch = import_file(data, full=True)

    assert (batch.status, batch.error, batch.rejected) == (ImportStatus.failed, importer.UNDECODABLE, 0)
    assert registry_state(imports=False) == before
    assert db.session.scalar(select(func.count()).select_from(RegistryRejection)
                             .where(RegistryRejection.import_id == batch.id)) == 0
    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "导入失败，名单未作任何改动。 无法识别 CSV 文件的文字编码" in page


def test_header_only_and_all_rows_bad_fail_without_marking_anyone_left(db, import_file, registry_csv, row,
                                                                        id_number, registry_state, as_admin, text):
    import_file(registry_csv([row(id_number(), "早已在册")]))
    before = registry_state(imports=False)

    header_only = import_file(registry_csv([]), full=True)
    all_bad = import_file(registry_csv([row("123", "甲"), row(id_number(), "")]), full=True)

    assert (header_only.status, header_only.error) == (ImportStatus.failed, "文件中只有列名，没有数据行。")
    assert (all_bad.status, all_bad.rejected) == (ImportStatus.failed, 2)
    assert registry_state(imports=False) == before
    page = text(as_admin.get(f"/admin/registry/imports/{all_bad.id}"))
    assert "导入失败，名单未作任何改动。 没有一行数据通过检查。" in page and "第 2 行 身份证号应为18位。" in page


# --- batches over time -------------------------------------------------------------------------

def test_importing_the_same_file_twice_changes_nothing(db, import_file, registry_csv, row, id_number, as_admin,
                                                       text, registry_state):
    data = registry_csv([row(id_number(), "黎小海"), row(id_number(), "符阿妹"), row("bad", "坏行")])
    first = import_file(data)
    before = registry_state(imports=False)

    second = import_file(data)

    assert (first.added, first.rejected) == (2, 1)
    assert (second.status, second.added, second.updated, second.unchanged, second.left, second.rejected) == (
        ImportStatus.done, 0, 0, 2, 0, 1)
    assert registry_state(imports=False) == before
    assert "名单没有任何变化" in text(as_admin.get(f"/admin/registry/imports/{second.id}"))
    assert "名单没有任何变化" not in text(as_admin.get(f"/admin/registry/imports/{first.id}"))


def test_a_newer_full_import_marks_absentees_left_and_keeps_history(db, import_file, registry_csv, row, id_number,
                                                                    as_admin, text):
    stays, changes, goes = id_number(), id_number(), id_number()
    first = import_file(registry_csv([row(stays, "留下"), row(changes, "变了"), row(goes, "走了")]))

    second = import_file(registry_csv([row(stays, "留下"), row(changes, "变了", 脱贫状态="返贫", 联系电话="")]))

    assert (second.added, second.updated, second.unchanged, second.left) == (0, 1, 1, 1)
    listed = people(db)
    assert listed["走了"].in_registry is False and listed["走了"].left_on == today()
    assert lookup(goes) is None and lookup(stays) is not None
    assert listed["变了"].poverty_status == PovertyStatus.relapsed and listed["变了"].phone == ""
    history = {(c.person_id, c.kind): c for c in db.session.scalars(select(RegistryChange))}
    assert history[listed["变了"].id, ChangeKind.updated].changes == {
        "poverty_status": ["lifted", "relapsed"], "phone": ["13800138000", ""]}
    assert history[listed["走了"].id, ChangeKind.left].import_id == second.id
    assert listed["走了"].first_import_id == first.id

    page = text(as_admin.get(f"/admin/registry/people/{listed['变了'].id}"))
    assert "由 名单.csv 列入名单" in page and "信息变更" in page
    assert "脱贫状态：已脱贫 → 返贫" in page and "联系电话：13800138000 → （空）" in page
    assert mask(changes) in page and changes not in page
    assert "已于" in text(as_admin.get(f"/admin/registry/people/{listed['走了'].id}"))


def test_a_partial_import_does_not_mark_absentees(db, import_file, registry_csv, row, id_number):
    a, b = id_number(), id_number()
    import_file(registry_csv([row(a, "甲"), row(b, "乙")]))

    partial = import_file(registry_csv([row(a, "甲", 是否低保="是")]), full=False)

    assert (partial.full, partial.updated, partial.left) == (False, 1, 0)
    assert people(db)["乙"].in_registry and people(db)["甲"].dibao is True


@pytest.mark.parametrize("background", [False, True], ids=["in the request", "as a background job"])
def test_a_full_list_leaving_out_most_of_the_registry_waits_for_the_admins_confirmation(
        app, db, upload, as_admin, text, registry_csv, row, id_number, registry_state, monkeypatch, background):
    """A township's list uploaded as the full county list would take the green channel from everyone else."""
    county = [row(id_number(), f"村民{n}") for n in range(14)]
    upload(registry_csv(county))
    before = registry_state(imports=False)
    if background:
        monkeypatch.setitem(app.config, "REGISTRY_BACKGROUND_BYTES", 0)

    response = upload(registry_csv(county[:2] + [row("123")]))

    batch_id = int(response.location.rsplit("/", 1)[1])
    page = text(as_admin.get(response.location))
    assert registry_state(imports=False) == before
    assert "状态 待确认" in page and "第 4 行" in page  # what it refused is shown already
    assert "检查完成时间" in page and "完成时间" not in page.replace("检查完成时间", "")  # checked, not imported
    assert "名单还没有改动：这份完整名单没有列出名单中现有的 12 人，导入后他们都会被标记为已退出名单。" in page
    assert "如果这份文件只是部分名单（例如一个乡镇的），请重新上传，并选择“部分名单”。" in page
    assert "名单.csv 待确认" in text(as_admin.get("/admin/registry"))

    confirmed = as_admin.post(f"/admin/registry/imports/{batch_id}/confirm-leaving")

    assert "已确认，正在导入这份完整名单。" in text(as_admin.get(confirmed.location))
    db.session.expire_all()
    batch = db.session.get(RegistryImport, batch_id)
    assert (batch.status, batch.unchanged, batch.left, batch.rejected) == (ImportStatus.done, 2, 12, 1)
    assert sum(person.in_registry for person in people(db).values()) == 2
    assert db.session.scalar(select(func.count()).select_from(RegistryFile)) == 0
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registry_import.confirm_leaving")).one()
    assert (entry.before, entry.after) == ({"status": "held"}, {"status": "queued", "left": 12})
    # The log says how many the admin agreed to mark as left, not a count running out to nothing.
    logged = text(as_admin.get("/admin/audit?action=registry_import.confirm_leaving"))
    assert "状态 待确认 → 排队中 退出名单 12" in logged and "12 →" not in logged
    assert "这是完整名单" not in as_admin.get(confirmed.location).text


def test_a_full_list_leaving_out_a_few_is_imported_at_once(db, import_file, registry_csv, row, id_number):
    county = [row(id_number()) for _ in range(40)]
    import_file(registry_csv(county))
    batch = import_file(registry_csv(county[:-6]))  # six of forty: fewer than a fifth
    assert (batch.status, batch.left) == (ImportStatus.done, 6)
    assert import_file(registry_csv(county[:5]), full=False).status == ImportStatus.done


def test_a_person_who_left_and_is_listed_again_is_back(db, import_file, registry_csv, row, id_number, as_admin, text):
    a, b = id_number(), id_number()
    import_file(registry_csv([row(a, "甲"), row(b, "乙")]))
    import_file(registry_csv([row(a, "甲")]))

    back = import_file(registry_csv([row(a, "甲"), row(b, "乙")]))

    person = people(db)["乙"]
    assert (person.in_registry, person.left_on) == (True, None)
    assert (back.added, back.updated, back.unchanged) == (0, 1, 1)
    kinds = db.session.scalars(select(RegistryChange.kind).where(RegistryChange.person_id == person.id)
                               .order_by(RegistryChange.id))
    assert list(kinds) == [ChangeKind.left, ChangeKind.returned]
    assert "（其中重新列入 1 人）" in text(as_admin.get(f"/admin/registry/imports/{back.id}"))
    assert "重新列入" in text(as_admin.get(f"/admin/registry/people/{person.id}"))


@pytest.mark.parametrize("kind", ["utf-8-sig", "gbk", "xlsx"])
def test_blocks_checked_in_worker_processes_give_the_same_result(db, import_file, registry_csv, registry_xlsx, row,
                                                                 id_number, monkeypatch, kind):
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 0)
    # A few rows per block, so repeats span blocks.
    monkeypatch.setattr(importer, "BLOCK_BYTES", 300)
    monkeypatch.setattr(importer, "XLSX_BLOCK_ROWS", 3)
    numbers = [id_number() for _ in range(12)]
    rows = [row(n, f"人{i}") for i, n in enumerate(numbers)] + [row(numbers[0], "重复"), row("bad", "坏"),
                                                                   row(numbers[1], "人1")]

    if kind == "xlsx":
        batch = import_file(registry_xlsx([list(r.values()) for r in rows]), "名单.xlsx")
    else:
        batch = import_file(registry_csv(rows, encoding=kind))

    assert (batch.added, batch.rejected, batch.repeated, batch.rows_done) == (12, 2, 1, 15)
    assert [(r, reason) for r, reason, _ in rejections(db, batch)] == [
        (14, importer.DUPLICATE_ID), (15, "身份证号应为18位。")]
    assert rejections(db, batch)[0][2]["params"] == {"row": 2}
    assert rejections(db, batch)[0][2]["cells"]["姓名"] == "重复"


def test_sheets_checked_in_worker_processes_keep_their_row_numbers(db, import_file, row, id_number, monkeypatch):
    """Lists on two sheets, the second with its columns reversed, read three rows a block and
    checked in worker processes: each refusal has its own sheet's row number."""
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(importer, "XLSX_BLOCK_ROWS", 3)
    numbers = [id_number() for _ in range(12)]
    rows = [row(n, f"人{i}") for i, n in enumerate(numbers)] + [row(numbers[0], "重复"), row("bad", "坏")]
    workbook = Workbook()
    workbook.active.title = "甲"
    for sheet, part, header in ((workbook.active, rows[:7], HEADER_ROW),
                                (workbook.create_sheet("乙"), rows[7:], HEADER_ROW[::-1])):
        sheet.append(header)
        for values in part:
            sheet.append([values[h] for h in header])
    out = io.BytesIO()
    workbook.save(out)

    batch = import_file(out.getvalue(), "名单.xlsx")

    assert (batch.added, batch.rejected, batch.rows_done, batch.sheets) == (12, 2, 14, ["甲", "乙"])
    refused = db.session.execute(select(RegistryRejection.sheet_no, RegistryRejection.row_no, RegistryRejection.values)
                                 .where(RegistryRejection.import_id == batch.id).order_by(RegistryRejection.row_no))
    assert [(sheet, row_no, values["params"], values["cells"]["姓名"]) for sheet, row_no, values in refused] == [
        (1, 7, {"row": 2, "sheet": "甲"}, "重复"), (1, 8, {}, "坏")]
    assert people(db)["人11"].phone == "13800138000"


@pytest.mark.parametrize("text", [
    "甲,1\n乙,2\n\n丙,3\n丁,4\n",  # blank line
    "甲,1\r\n乙,2\r\n\r\n丙,3\r\n丁,4\r\n",
    '甲,"1\n一"\n乙,2\n"丙,",3\n丁,4\n',  # quoted line break and comma
    "甲,1\r乙,2\r\r丙,3\r丁,4\r",  # lone carriage returns end rows too
])
def test_rows_picked_from_a_block_are_the_rows_parsed(text):
    """Repeated ID numbers are refused with their row's cells, picked from the block by index."""
    for encoding in ("utf-8", "gb18030"):
        csv_format = importer.CsvFormat(encoding, ",")
        block = text.encode(encoding)
        rows = list(csv_format.rows(block))
        assert csv_format.rows_at(block, [2, 4]) == [rows[1], rows[3]]


def test_the_first_import_leaves_the_registry_indexed_and_constrained(db, import_file, registry_csv, row, id_number):
    """The first import adds more people than the registry holds, which on PostgreSQL drops the indexes
    and the foreign key to the import while loading: they are back afterwards, and kept."""
    first = import_file(registry_csv([row(id_number(), f"人{i}") for i in range(5)]))
    second = import_file(registry_csv([row(id_number(), "新来")]), full=False)

    inspector = inspect(db.session.connection())
    assert "ix_registry_people_household_no" in {index["name"] for index in inspector.get_indexes("registry_people")}
    assert [u["column_names"] for u in inspector.get_unique_constraints("registry_people")] == [["id_hash"]]
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in inspector.get_foreign_keys("registry_people")] \
        == [(["first_import_id"], "registry_imports")]
    assert (first.added, second.added) == (5, 1)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(RegistryPerson).values(first_import_id=second.id + 1000))
    first_person = db.session.scalars(select(RegistryPerson).order_by(RegistryPerson.id)).first()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(RegistryPerson).where(RegistryPerson.id != first_person.id)
                           .values(id_hash=first_person.id_hash))


# --- background imports ------------------------------------------------------------------------

def test_a_large_file_imports_as_a_background_job(app, db, upload, registry_csv, row, id_number, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_BACKGROUND_BYTES", 100)
    number = id_number()
    stored, real_run = [], services.run_import

    def run_noting_the_stored_file(import_id, source, attempt):
        stored.append(db.session.scalar(select(RegistryFile.data).where(RegistryFile.import_id == import_id)))
        return real_run(import_id, source, attempt)
    monkeypatch.setattr(services, "run_import", run_noting_the_stored_file)
    data = registry_csv([row(number), row(id_number(), "")])

    response = upload(data)

    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    batch = db.session.get(RegistryImport, import_id)
    assert (batch.status, batch.added, batch.rejected) == (ImportStatus.done, 1, 1)
    assert db.session.scalar(select(func.count()).select_from(RegistryFile)) == 0
    [sealed] = stored  # while queued, the file was stored sealed: the ID number does not show in it
    assert number.encode() not in sealed and vault().unseal(sealed) == data


def workbook_with_a_stray_value(id_number, corner: str) -> bytes:
    """A one-person registry with a stray "x" in the cell `corner`, as a slip of the hand leaves it."""
    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号", "户编号"])
    workbook.active.append(["黎小海", id_number(), "H1"])
    workbook.active[corner] = "x"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("saved_as", ["名单.xlsx", "名单.ods"])
def test_a_workbook_with_a_value_in_its_last_cell_is_refused_on_the_form(db, upload, registry_state, text,
                                                                          id_number, tmp_path, saved_as):
    """A value in XFD1048576 makes the sheet's rectangle 17 billion cells: the reader would need
    hundreds of gigabytes. It is refused, saying what to look for, and the server carries on."""
    data = workbook_with_a_stray_value(id_number, "XFD1048576")
    if saved_as.endswith(".ods"):
        data, _ = type_in_calc(tmp_path, data, [], saved_as)
    before = registry_state()

    response = upload(data, saved_as)

    assert response.status_code == 200
    assert "表格太大，无法读取。常见原因是数据下方或右侧很远的单元格里有内容" in text(response)
    assert registry_state() == before


def test_a_workbook_needing_more_memory_than_allowed_fails_on_its_result_page(app, db, import_file, registry_state,
                                                                              id_number, as_admin, text,
                                                                              monkeypatch):
    """REGISTRY_WORKBOOK_MEMORY caps what reading a workbook may take: CV50000 spans 5 million cells,
    some 160 MB, over the 64 MB allowed here. Read in the background, the batch fails with the reason."""
    data = workbook_with_a_stray_value(id_number, "CV50000")
    monkeypatch.setitem(app.config, "REGISTRY_BACKGROUND_BYTES", len(data) - 1)
    monkeypatch.setitem(app.config, "REGISTRY_WORKBOOK_MEMORY", 64 * 2**20)
    before = registry_state(imports=False)

    batch = import_file(data, "名单.xlsx")

    assert (batch.status, batch.error) == (ImportStatus.failed, importer.SHEET_TOO_LARGE)
    assert "表格太大，无法读取。" in text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert registry_state(imports=False) == before
    monkeypatch.setitem(app.config, "REGISTRY_WORKBOOK_MEMORY", 1024 * 2**20)
    assert import_file(data, "名单.xlsx").added == 1  # allowed more, the same file imports


def test_a_large_workbook_without_a_required_column_fails_on_its_result_page(app, db, import_file, registry_xlsx,
                                                                             registry_state, as_admin, text,
                                                                             monkeypatch):
    """Its header would take loading the whole sheet to read, so the form leaves it to the import."""
    data = registry_xlsx([["黎小海", "H1"]], header=["姓名", "户编号"])
    monkeypatch.setitem(app.config, "REGISTRY_BACKGROUND_BYTES", len(data) - 1)
    before = registry_state(imports=False)

    batch = import_file(data, "名单.xlsx")

    assert (batch.status, batch.error) == (ImportStatus.failed, importer.MISSING_COLUMN["id_number"])
    assert "文件中没有“身份证号”列" in text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert registry_state(imports=False) == before


def test_a_file_over_the_size_limit_is_refused_with_the_reason(app, db, upload, registry_csv, row, id_number,
                                                               registry_state, as_admin, text, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the limit holds before CSRF protection reads the body
    data = registry_csv([row(id_number()) for _ in range(50)])
    monkeypatch.setitem(app.config, "REGISTRY_MAX_BYTES", len(data) // 2)
    before = registry_state()

    response = upload(data)

    assert response.status_code == 302 and response.location.endswith("/admin/registry")
    assert "不能在网页上导入。请存为 CSV 格式" in text(as_admin.get(response.location))
    assert registry_state() == before


def test_the_import_page_shows_progress_and_refreshes_while_running(db, as_admin):
    batch = RegistryImport(filename="大名单.csv", sha256="0" * 64, size=1, status=ImportStatus.running,
                           rows_total=1000, rows_done=250)
    db.session.add(batch)
    db.session.flush()

    running = as_admin.get(f"/admin/registry/imports/{batch.id}")
    batch.status, batch.rows_done = ImportStatus.done, 1000
    db.session.flush()
    done = as_admin.get(f"/admin/registry/imports/{batch.id}")

    assert '<meta http-equiv="refresh" content="2">' in running.text
    assert '<progress id="import-progress" max="1000" value="250">' in running.text
    assert "导入中" in running.text
    assert "refresh" not in done.text and "<progress" not in done.text


def test_an_import_whose_job_was_stopped_says_so_instead_of_waiting_for_ever(db, as_admin, text):
    """A restart stops the job mid-file; its batch would read 导入中 and refresh for ever."""
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    stopped = RegistryImport(filename="大名单.csv", sha256="0" * 64, size=1, status=ImportStatus.running,
                             rows_total=1000, rows_done=250, created_at=long_ago, progress_at=long_ago)
    working = RegistryImport(filename="另一份.csv", sha256="1" * 64, size=1, status=ImportStatus.running,
                             rows_total=1000, rows_done=250, created_at=long_ago,
                             progress_at=datetime.now(UTC) - timedelta(minutes=1))
    db.session.add_all([stopped, working])
    db.session.flush()

    page = as_admin.get(f"/admin/registry/imports/{stopped.id}")
    assert "refresh" not in page.text and "<progress" not in page.text
    assert "状态 已中断" in text(page)
    assert "导入没有完成，可能是服务器重启时中断了。名单未作任何改动。 请重新上传文件。" in text(page)
    assert "refresh" in as_admin.get(f"/admin/registry/imports/{working.id}").text
    listed = text(as_admin.get("/admin/registry"))
    assert "大名单.csv 已中断" in listed and "另一份.csv 导入中" in listed


@pytest.fixture
def busy_worker(app):
    """A worker alive, busy with another job: its heartbeat is fresh."""
    storage = app.extensions["jobs"]["huey"].storage
    storage.put_data(HEARTBEAT_KEY, str(time.time()).encode())
    yield
    storage.delete_data(HEARTBEAT_KEY)


def test_an_import_queued_behind_a_long_job_waits_while_the_worker_is_alive(db, as_admin, text, request):
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    waiting = RegistryImport(filename="大名单.csv", sha256="0" * 64, size=1, status=ImportStatus.queued,
                             created_at=long_ago)
    db.session.add(waiting)
    db.session.flush()
    assert "状态 已中断" in text(as_admin.get(f"/admin/registry/imports/{waiting.id}"))  # no worker at all

    request.getfixturevalue("busy_worker")

    page = as_admin.get(f"/admin/registry/imports/{waiting.id}")
    assert "状态 排队中" in text(page) and "refresh" in page.text
    assert "正在排队，马上开始读取文件。" in text(page) and "0 / 0" not in text(page)  # no rows counted yet
    waiting.status, waiting.progress_at = ImportStatus.running, long_ago  # begun, then silent: its run was stopped
    db.session.flush()
    assert "状态 已中断" in text(as_admin.get(f"/admin/registry/imports/{waiting.id}"))


def stopped_batch(db, data: bytes, *, keep_file: bool) -> RegistryImport:
    """A batch whose background job was stopped a quarter of an hour after refusing a row."""
    batch = services.create_import(None, "大名单.csv", io.BytesIO(data), full=True, keep_file=keep_file)
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    batch.status, batch.started_at, batch.progress_at = ImportStatus.running, long_ago, long_ago
    batch.rows_total, batch.rows_done, batch.rejected = 3, 2, 1
    db.session.add(RegistryRejection(import_id=batch.id, sheet_no=0, row_no=3, reason=importer.NO_NAME,
                                     values={"cells": {}, "params": {}}))
    db.session.flush()
    return batch


def test_an_import_stopped_by_a_restart_is_imported_again_from_its_stored_file(
        db, as_admin, text, registry_csv, row, id_number):
    good = id_number()
    batch = stopped_batch(db, registry_csv([row(good), row(id_number(), name="")]), keep_file=True)

    page = as_admin.get(f"/admin/registry/imports/{batch.id}")
    assert "重新导入这个文件" in page.text and "请重新上传文件" not in page.text
    response = as_admin.post(f"/admin/registry/imports/{batch.id}/restart")

    assert response.status_code == 302 and response.location.endswith(f"/admin/registry/imports/{batch.id}")
    db.session.expire_all()
    batch = db.session.get(RegistryImport, batch.id)
    assert (batch.status, batch.added, batch.rejected, batch.rows_done) == (ImportStatus.done, 1, 1, 2)
    refused = db.session.scalars(select(RegistryRejection.row_no).where(RegistryRejection.import_id == batch.id))
    assert list(refused) == [3]  # once: the stopped run's refusal is not kept beside the new run's
    assert lookup(good) is not None
    assert db.session.scalar(select(func.count()).select_from(RegistryFile)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "registry_import.restart")) == 1
    assert "已重新开始导入。" in text(as_admin.get(response.location))


def test_a_stopped_import_without_a_stored_file_asks_for_the_file_again(db, as_admin, text, registry_csv, row,
                                                                        id_number):
    batch = stopped_batch(db, registry_csv([row(id_number())]), keep_file=False)  # imported in the request
    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "名单未作任何改动。 请重新上传文件。" in page and "重新导入这个文件" not in page
    as_admin.post(f"/admin/registry/imports/{batch.id}/restart")
    db.session.expire_all()
    assert db.session.get(RegistryImport, batch.id).status == ImportStatus.running


def test_an_import_still_at_work_is_not_restarted(db, as_admin, registry_csv, row, id_number):
    batch = stopped_batch(db, registry_csv([row(id_number())]), keep_file=True)
    batch.progress_at = datetime.now(UTC)
    db.session.flush()
    assert "重新导入这个文件" not in as_admin.get(f"/admin/registry/imports/{batch.id}").text
    as_admin.post(f"/admin/registry/imports/{batch.id}/restart")
    db.session.expire_all()
    assert db.session.get(RegistryImport, batch.id).status == ImportStatus.running


def test_a_stopped_imports_stored_file_is_deleted_a_week_on_at_the_next_upload(db, as_admin, text, registry_csv,
                                                                              row, id_number):
    week_old = stopped_batch(db, registry_csv([row(id_number())]), keep_file=True)
    recent = stopped_batch(db, registry_csv([row(id_number())]), keep_file=True)
    week_old.created_at = week_old.progress_at = datetime.now(UTC) - timedelta(days=8)
    db.session.flush()

    services.create_import(None, "新名单.csv", io.BytesIO(registry_csv([row(id_number())])), full=True,
                           keep_file=False)

    stored = db.session.scalars(select(RegistryFile.import_id))
    assert list(stored) == [recent.id]
    page = text(as_admin.get(f"/admin/registry/imports/{week_old.id}"))
    assert "请重新上传文件" in page and "重新导入这个文件" not in page


def test_the_daily_chores_delete_a_stopped_imports_stored_file_a_week_on(app, db, registry_csv, row, id_number):
    week_old = stopped_batch(db, registry_csv([row(id_number())]), keep_file=True)
    recent = stopped_batch(db, registry_csv([row(id_number())]), keep_file=True)
    week_old.created_at = week_old.progress_at = datetime.now(UTC) - timedelta(days=8)
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert result.exit_code == 0, result.output
    assert "1 registry files deleted" in result.output.splitlines()
    assert list(db.session.scalars(select(RegistryFile.import_id))) == [recent.id]


def test_a_restart_pressed_as_the_job_shows_life_again_changes_nothing(db, as_admin, text, registry_csv, row,
                                                                         id_number):
    """The admin's page showed 已中断, but the job was only slow: it writes a block just before the press."""
    batch = stopped_batch(db, registry_csv([row(id_number()), row(id_number(), name="")]), keep_file=True)
    db.session.execute(update(RegistryImport).where(RegistryImport.id == batch.id)  # the job, on its connection
                       .values(progress_at=datetime.now(UTC)).execution_options(synchronize_session=False))

    response = as_admin.post(f"/admin/registry/imports/{batch.id}/restart")

    assert "这次导入刚刚又有了进展，仍在进行，不用重新开始。" in text(as_admin.get(response.location))
    db.session.expire_all()
    batch = db.session.get(RegistryImport, batch.id)
    assert (batch.status, batch.attempt, batch.rows_done, batch.rejected) == (ImportStatus.running, 1, 2, 1)
    assert db.session.scalar(select(func.count()).where(RegistryRejection.import_id == batch.id)) == 1
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "registry_import.restart")) == 0


def test_a_run_queued_before_a_restart_leaves_the_batch_and_its_file_to_the_restarted_run(
        db, registry_csv, row, id_number, registry_state):
    """A job thought stopped was only waiting in the queue; the restart queued a second run beside it."""
    good = id_number()
    batch = stopped_batch(db, registry_csv([row(good)]), keep_file=True)
    batch.status = ImportStatus.queued
    assert services.restart_import(None, batch)
    db.session.commit()
    before = registry_state()

    services.import_stored_file(batch.id, 1)

    assert registry_state() == before
    assert db.session.scalar(select(func.count()).select_from(RegistryFile)) == 1
    services.import_stored_file(batch.id, 2)
    db.session.expire_all()
    assert db.session.get(RegistryImport, batch.id).status == ImportStatus.done and lookup(good) is not None
    assert db.session.scalar(select(func.count()).select_from(RegistryFile)) == 0


def test_a_run_restarted_while_at_work_stops_at_its_next_block_without_writing_it(
        db, monkeypatch, registry_csv, row, id_number, registry_state):
    """The first run was silent so long its batch was restarted; it then wakes up mid-file."""
    monkeypatch.setattr(importer, "BLOCK_BYTES", 300)
    data = registry_csv([row(id_number()) for _ in range(12)] + [row(id_number(), name="")])
    batch = services.create_import(None, "大名单.csv", io.BytesIO(data), full=True, keep_file=True)
    db.session.commit()
    blocks, states = services.checked_blocks, []

    def restarted_after_the_first_block(table, checker):
        for number, block in enumerate(blocks(table, checker)):
            if number == 1:
                long_ago = datetime.now(UTC) - timedelta(minutes=20)
                db.session.execute(update(RegistryImport).where(RegistryImport.id == batch.id)
                                   .values(progress_at=long_ago).execution_options(synchronize_session=False))
                assert services.restart_import(None, db.session.get(RegistryImport, batch.id))
                db.session.commit()
                states.append(registry_state())
            yield block

    monkeypatch.setattr(services, "checked_blocks", restarted_after_the_first_block)
    services.import_stored_file(batch.id, 1)

    assert registry_state() == states[0]  # as the restart left it: queued, counts at nought
    restarted = db.session.get(RegistryImport, batch.id)
    assert (restarted.status, restarted.attempt, restarted.rows_done) == (ImportStatus.queued, 2, 0)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "registry_import.finish")) == 0
    monkeypatch.setattr(services, "checked_blocks", blocks)
    services.import_stored_file(batch.id, 2)
    db.session.expire_all()
    batch = db.session.get(RegistryImport, batch.id)
    assert (batch.status, batch.added, batch.rejected, batch.rows_done) == (ImportStatus.done, 12, 1, 13)
    assert db.session.scalar(select(func.count()).where(RegistryRejection.import_id == batch.id)) == 1


def test_an_import_leaves_a_sign_of_life_as_it_goes(db, import_file, registry_csv, row, id_number):
    batch = import_file(registry_csv([row(id_number()), row(id_number())]))
    assert batch.status == ImportStatus.done and batch.started_at <= batch.progress_at <= batch.finished_at


# --- ID numbers at rest ------------------------------------------------------------------------

def test_no_id_number_is_stored_in_plaintext(app, db, import_file, registry_csv, row, id_number, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_BACKGROUND_BYTES", 100)  # through the stored, sealed file too
    numbers = [id_number() for _ in range(4)]
    import_file(registry_csv([row(numbers[0]), row(numbers[1]), row(numbers[2], ""), row(numbers[0], "重复"),
                              row(" ".join(numbers[3].translate(FULL_WIDTH)), "全角")]))
    import_file(registry_csv([row(numbers[1], 脱贫状态="返贫")]))

    tables = [m.__table__ for m in (RegistryImport, RegistryFile, RegistryPerson, RegistryChange, RegistryRejection,
                                    AuditEntry)]
    found = []
    for table in tables:
        columns = [c for c in table.c if isinstance(c.type, String | LargeBinary | JSON)]
        for values in db.session.execute(select(*columns)):
            for value in values:
                blob = value if isinstance(value, bytes) else str(value).encode()
                found += [(table.name, n) for n in numbers if n.encode() in blob or n[:17].encode() in blob]
    assert found == []
    assert db.session.scalar(select(func.count()).select_from(RegistryPerson)) == 3


def test_a_failure_while_merging_leaves_the_registry_unchanged(db, import_file, registry_csv, row, id_number,
                                                               registry_state, monkeypatch):
    import_file(registry_csv([row(id_number(), "早已在册")]))
    before = registry_state(imports=False)
    real_merge = services._merge

    def merge_then_fail(*args):
        real_merge(*args)
        raise RuntimeError("the database went away")
    monkeypatch.setattr(services, "_merge", merge_then_fail)
    data = registry_csv([row(id_number(), "甲"), row(id_number(), "")])
    batch = services.create_import(None, "名单.csv", io.BytesIO(data), full=True, keep_file=False)

    with pytest.raises(RuntimeError):
        services.run_import(batch.id, io.BytesIO(data))

    assert registry_state(imports=False) == before
    db.session.expire_all()
    assert (batch.status, batch.error, batch.rejected) == (ImportStatus.failed, services.INTERNAL_ERROR, 0)


def test_an_import_on_sqlite_writes_after_reading_though_others_write_meanwhile(tmp_path):
    """Two lists uploaded one after the other: the second upload's writes came between a read and a write of
    the first list's import, and SQLite failed that import at once ("database is locked")."""
    engine = create_engine(f"sqlite:///{tmp_path / 'lock.sqlite3'}", poolclass=NullPool)
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE registry_imports (id INTEGER PRIMARY KEY, progress INTEGER)")
        setup.exec_driver_sql("INSERT INTO registry_imports VALUES (1, 0)")
    with engine.connect() as importing, engine.connect() as other, services._import_session(importing) as session:
        assert session.execute(text("SELECT progress FROM registry_imports")).scalar() == 0
        other.exec_driver_sql("PRAGMA busy_timeout=100")
        other.commit()
        with pytest.raises(OperationalError, match="locked"), other.begin():  # the upload waits its turn...
            other.exec_driver_sql("UPDATE registry_imports SET progress = 5")
        session.execute(text("UPDATE registry_imports SET progress = 1"))  # ...rather than stop the import
        session.commit()
    with engine.connect() as check:
        assert check.exec_driver_sql("SELECT progress FROM registry_imports").scalar() == 1
    engine.dispose()
