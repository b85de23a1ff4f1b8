"""`flask portal registry import FILE`: the same import from the command line, with its counts printed."""
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.registry.models import ImportStatus, RegistryImport, RegistryPerson


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["portal", "registry", "import", *args])


def test_import_prints_the_counts_and_the_first_reasons(app, db, tmp_path, registry_csv, row, id_number):
    a, b = id_number(), id_number()
    path = tmp_path / "名单.csv"
    path.write_bytes(registry_csv([row(a, "甲"), row(b, "乙"), row("123", "坏"), row(id_number(), ""), row(a, "甲")],
                                  encoding="gbk"))

    result = run(app, str(path))

    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged, 0 left, 2 rejected, 1 repeated" in result.output
    assert "row 4: 身份证号应为18位。" in result.output and "row 5: 姓名为空。" in result.output
    batch = db.session.scalar(select(RegistryImport))
    assert (batch.status, batch.filename, batch.created_by_id) == (ImportStatus.done, "名单.csv", None)


def test_a_list_on_several_sheets_prints_each_refused_row_with_its_sheet(app, db, tmp_path, id_number):
    workbook = Workbook()
    workbook.active.title = "云龙镇"
    workbook.active.append(["姓名", "身份证号", "户编号"])
    workbook.active.append(["黎小海", id_number(), "H1"])
    hongqi = workbook.create_sheet("红旗镇")
    hongqi.append(["姓名", "身份证号", "户编号"])
    hongqi.append(["王小明", id_number(), "H2"])
    hongqi.append(["符阿妹", "123", "H3"])
    path = tmp_path / "名单.xlsx"
    workbook.save(path)

    result = run(app, str(path))

    assert result.exit_code == 0, result.output
    assert "read from sheets 云龙镇, 红旗镇" in result.output
    assert "2 added, 0 updated, 0 unchanged, 0 left, 1 rejected" in result.output
    assert "sheet 红旗镇 row 3: 身份证号应为18位。" in result.output


def test_partial_import_keeps_the_absent(app, db, tmp_path, registry_csv, row, id_number):
    a, b = id_number(), id_number()
    (tmp_path / "all.csv").write_bytes(registry_csv([row(a, "甲"), row(b, "乙")]))
    (tmp_path / "some.csv").write_bytes(registry_csv([row(a, "甲")]))
    run(app, str(tmp_path / "all.csv"))

    result = run(app, "--partial", str(tmp_path / "some.csv"))

    assert "0 added, 0 updated, 1 unchanged, 0 left, 0 rejected" in result.output
    assert db.session.scalar(select(func.count()).select_from(RegistryPerson).where(RegistryPerson.in_registry)) == 2


def test_a_file_that_cannot_be_imported_fails_with_its_message(app, db, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_text("姓名,户编号\n黎小海,H1\n")

    result = run(app, str(path))

    assert result.exit_code == 1
    assert "文件中没有“身份证号”列" in result.output
    assert db.session.scalar(select(RegistryImport.status)) == ImportStatus.failed
    assert db.session.scalar(select(func.count()).select_from(RegistryPerson)) == 0


def test_a_full_list_leaving_out_most_of_the_registry_is_held_until_confirmed(app, db, tmp_path, registry_csv, row,
                                                                              id_number):
    county = [row(id_number()) for _ in range(10)]
    (tmp_path / "county.csv").write_bytes(registry_csv(county))
    (tmp_path / "township.csv").write_bytes(registry_csv(county[:3]))
    run(app, str(tmp_path / "county.csv"))

    held = run(app, str(tmp_path / "township.csv"))
    in_registry = select(func.count()).select_from(RegistryPerson).where(RegistryPerson.in_registry)

    assert held.exit_code == 1
    assert "held, nothing changed: this full list leaves out 7 people" in held.output and "--partial" in held.output
    assert db.session.scalar(in_registry) == 10
    confirmed = run(app, "--confirm-leaving", str(tmp_path / "township.csv"))
    assert confirmed.exit_code == 0, confirmed.output
    assert "0 added, 0 updated, 3 unchanged, 7 left" in confirmed.output and db.session.scalar(in_registry) == 3
