"""Type rows into a workbook in LibreOffice Calc, key by key as a clerk would, and save it.

    /usr/bin/python3 calc_typing.py IN OUT ROWS_JSON

Run by Debian's Python, which has LibreOffice's `uno` module (package python3-uno), not by the
project's. Each cell is entered through Calc's own input handler (the `.uno:EnterString` command
that typing a cell and pressing Enter runs), so the cell's number format decides what is kept: in
a column formatted as text an ID number stays text, anywhere else Calc turns it into a number.
The rows go in under the header, from the second row. OUT is saved as XLSX, or as ODS when its
name ends in .ods. Prints each typed cell as "row col TEXT|VALUE shown" to stdout.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue

FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".ods": "calc8"}


def _prop(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _connect(pipe, office):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(300):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # noqa: BLE001 (NoConnectException until Calc listens)
            if office.poll() is not None:
                raise SystemExit(f"LibreOffice exited with {office.returncode}")
            time.sleep(0.1)
    raise SystemExit("LibreOffice did not start within 30 s")


def main(source, target, rows):
    with tempfile.TemporaryDirectory() as profile:
        pipe = f"calc_typing_{os.getpid()}"
        office = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo",
             f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}", f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            remote = _connect(pipe, office)
            desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
            typing = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", remote)
            doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(source)), "_blank", 0,
                                               (_prop("Hidden", True),))
            sheet, view = doc.Sheets.getByIndex(0), doc.CurrentController
            for r, values in enumerate(rows, 1):
                for c, value in enumerate(values):
                    if value == "":
                        continue
                    cell = sheet.getCellByPosition(c, r)
                    view.select(cell)
                    typing.executeDispatch(view.Frame, ".uno:EnterString", "", 0, (_prop("StringName", value),))
                    kind = "TEXT" if cell.getType().value == "TEXT" else "VALUE"
                    print(r + 1, c + 1, kind, cell.getString())
            filter_name = FILTERS[os.path.splitext(target)[1].lower()]
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(target)), (_prop("FilterName", filter_name),))
            try:
                doc.close(True)
                desktop.terminate()
            except Exception:  # noqa: BLE001 (the bridge can drop as Calc quits, the file saved)
                pass
            office.wait(30)
        finally:
            if office.poll() is None:
                office.kill()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
