"""Fill the Traditional Chinese catalog from the Simplified msgids with OpenCC (s2twp), plus a few fixes.

    .venv/bin/python portal/translations/zh_hant.py           # fill empty and fuzzy entries only
    .venv/bin/python portal/translations/zh_hant.py --all     # redo every entry (after changing TERMS)

OpenCC's s2twp config converts characters and swaps in Taiwan phrasing (登录 → 登入, 保存 → 儲存,
搜索 → 搜尋, 信息 → 資訊). A few of its phrase swaps are wrong for this portal, so TERMS fixes them
after conversion. tests/common/test_translations.py checks that every msgstr is exactly convert(msgid),
so the catalog can only be changed here: add a term to TERMS, or one whole message to MESSAGE_OVERRIDES.
Needs the OpenCC package, a dependency of the portal itself (place names are converted with it as pages are drawn).
"""
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"

# (what s2twp produces, what we want instead), applied in order to the converted text.
TERMS = [
    ("程式碼", "代碼"),      # 代码 is a code number here (统一社会信用代码, 行政区划代码), not program source code
    ("釋出", "發布"),        # 发布 a course is to publish it, not to release software; s2twp already gives 重新發布
    ("高階", "高級"),        # 高级工 / 高级技师 are national vocational qualification levels; keep the official names
    ("型別", "類型"),        # 机构类型: a kind of institution, not a programming type
    ("許可權", "權限"),      # 没有权限: Taiwan also says 權限 for access rights
    ("遠端培訓", "遠距培訓"),  # remote training is 遠距 in Taiwan; 遠端 is for computers
    ("退出登入", "登出"),     # log out
    ("賬號", "帳號"),        # account: 帳號 is the Taiwan standard form
    ("郵箱", "電子郵件"),     # email address; 郵箱 is mainland usage
    ("稽核", "審核"),        # 审核 is reviewing an application, not an audit
    ("“", "「"), ("”", "」"),  # Taiwan quotation marks
    # Spreadsheets, as Excel in Taiwan names them: a cell is 儲存格, a template 範本, the text format 文字; and
    # the mainland's 行 (row) and 列 (column) are 列 and 欄, so the registry file's instructions would read the
    # other way round. Columns first, then rows, each a whole phrase: 列 and 行 also make 列入, 列出, 行政.
    ("單元格里", "儲存格裡"), ("單元格", "儲存格"), ("的行和列", "的列和欄"),
    ("模板", "範本"),
    ("設為「文本」", "設為「文字」"), ("設為文本", "設為文字格式"),
    ("列名", "欄名"), ("」列", "」欄"), ("這一列", "這一欄"), ("每一列", "每一欄"), ("有一列", "有一欄"),
    ("等列", "等欄"), ("列的順序", "欄的順序"), ("以下列不認識", "以下欄位不認識"),
    ("行號", "列號"), ("s 行", "s 列"), ("前 10 行", "前 10 列"), ("第一行", "第一列"), ("每人一行", "每人一列"),
    ("那一行", "那一列"), ("資料行", "資料列"), ("一行資料", "一列資料"), ("各行", "各列"), ("某行", "某列"),
    ("這些行", "這些列"), ("列出的行", "列出的列"), ("被拒絕的行列在下面", "被拒絕的列見下面"),
    ("被拒絕的行", "被拒絕的列"), ("該行內容", "該列內容"), ("所有行後", "所有列後"),
    ("物件", "對象"),        # 对象: whom an action or a status concerns (监测对象, 操作对象), not a program's object
    ("重置", "重設"),        # resetting a password
    ("當前", "目前"),        # the current password, a course's present state
    ("後臺", "背景"),        # an import or export running in the background
    ("重啟", "重新啟動"),     # a server restart
    ("關鍵詞", "關鍵字"),
    ("另存為", "另存新檔"), ("Unicode 文本", "Unicode 文字"),  # Excel's commands and formats, as in Taiwan
    ("校驗位", "檢查碼"), ("檔案校驗值", "檔案雜湊值"),
    # Counting: messages and notices by 則, records by 筆.
    ("條未讀", "則未讀"), ("條新訊息", "則新訊息"), ("這條通知", "這則通知"),
    ("記錄條數", "記錄筆數"), ("條記錄", "筆記錄"), ("%(total)s 條", "%(total)s 筆"),
]

# Whole-message exceptions, msgid → msgstr, for when a term rule would be wrong elsewhere. Keep it short.
MESSAGE_OVERRIDES: dict[str, str] = {}

_converter = None


def convert(text: str) -> str:
    """The Traditional Chinese (Taiwan) text for a Simplified Chinese msgid."""
    global _converter
    if text in MESSAGE_OVERRIDES:
        return MESSAGE_OVERRIDES[text]
    if _converter is None:
        import opencc
        _converter = opencc.OpenCC("s2twp")
    out = _converter.convert(text)
    for wrong, right in TERMS:
        out = out.replace(wrong, right)
    return out


def expected(message) -> str | tuple[str]:
    """The msgstr a catalog message should have: a string, or a 1-tuple for a plural (Chinese has one form)."""
    if isinstance(message.id, tuple):
        return (convert(message.id[0]),)
    return convert(message.id)


def main(argv: list[str]) -> int:
    from babel.messages.pofile import read_po, write_po

    redo_all = "--all" in argv
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    changed = 0
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if redo_all or message.fuzzy or not all(strings):
            new = expected(message)
            if new != message.string or message.fuzzy:
                message.string = new
                message.flags.discard("fuzzy")
                changed += 1
    with CATALOG.open("wb") as f:
        write_po(f, catalog)
    print(f"{CATALOG}: {changed} entries filled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
