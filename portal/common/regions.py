"""行政区划: the 6-digit administrative division codes that place institutions and courses.

The table is loaded from python-stdnum's dated list of division codes, keeping only the
divisions in force today, so a province, its cities and their counties stay consistent with
the ID-number validation that uses the same list.
"""
import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import get_locale
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.common.cache import reference_data
from portal.common.i18n import chinese_converter
from portal.db import db

REGION_CODE_RE = re.compile(r"^\d{6}$")


class RegionLevel(enum.StrEnum):
    province = "province"
    city = "city"
    county = "county"


class Region(db.Model):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("length(code) = 6", name="code_six_digits"),
        CheckConstraint("level IN ('province', 'city', 'county')", name="level_known"),
    )

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[RegionLevel] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


def region_prefix(code: str) -> str:
    """The leading digits that every division inside `code` shares: 460000 → 46, 460200 → 4602."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def prefix_bounds(code: str) -> tuple[str, str]:
    """A half-open string range [low, high) covering `code` and every division inside it.

    Comparing strings lets the database use the region index, which LIKE 'xx%' would not.
    """
    prefix = region_prefix(code)
    high = str(int(prefix) + 1).zfill(len(prefix))
    return prefix, high


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None


def current_divisions(province_prefixes: tuple[str, ...]) -> list[Division]:
    """Divisions in force today under the given provinces, from python-stdnum's dated table.

    Placeholder rows (市辖区, 省直辖县级行政单位) are left out; a county directly under the
    province (海南's 县级市 and 自治县) hangs from the province.
    """
    from stdnum import numdb

    out: list[Division] = []
    for _, province, _, props, children in numdb.get("cn/loc").prefixes:
        if province not in province_prefixes:
            continue
        province_code = province + "0000"
        out.append(Division(province_code, props["province"], RegionLevel.province, None))
        cities = set()
        for _, suffix, _, child_props, _ in children:
            code = province + suffix
            name = _current_name(child_props.get("county", ""))
            if code == province_code or not name or name in _PLACEHOLDERS:
                continue
            if suffix.endswith("00"):
                cities.add(code)
                out.append(Division(code, name, RegionLevel.city, province_code))
            else:
                city = code[:4] + "00"
                parent = city if city in cities else province_code
                out.append(Division(code, name, RegionLevel.county, parent))
    return out


_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位"}


def _current_name(county: str) -> str | None:
    """The name in force today from an entry such as "[1988-2000]通什市,[2001-]五指山市"."""
    for entry in county.split(","):
        if not entry.startswith("["):
            return entry
        span, name = entry[1:].split("]")
        if span.endswith("-"):
            return name
    return None


def load_regions(province_prefixes: tuple[str, ...]) -> int:
    """Insert the divisions of the given provinces that are not there yet; return how many."""
    existing = set(db.session.scalars(select(Region.code)))
    divisions = [d for d in current_divisions(province_prefixes) if d.code not in existing]
    known = existing | {d.code for d in divisions}
    for d in divisions:
        parent = d.parent_code if d.parent_code in known else None
        db.session.add(Region(code=d.code, name=d.name, level=d.level, parent_code=parent))
    db.session.flush()
    return len(divisions)


@reference_data
def region_index() -> dict[str, tuple[str, str | None]]:
    """Every region's name and its parent's code, by code, in code order (a parent before its children)."""
    rows = db.session.execute(select(Region.code, Region.name, Region.parent_code).order_by(Region.code))
    return {code: (name, parent) for code, name, parent in rows}


@reference_data
def region_tree() -> list[tuple[str, str, int]]:
    """(code, name, depth) in display order: each province, then its cities, then their counties.

    The depth counts parents, so a county directly under its province (海南's 县级市 and 自治县) sits
    beside the cities rather than seeming to belong to the city listed before it.
    """
    depth: dict[str, int] = {}
    tree = []
    for code, (name, parent) in region_index().items():
        depth[code] = depth[parent] + 1 if parent in depth else 0
        tree.append((code, name, depth[code]))
    return tree


def region_path(code: str | None) -> list[str]:
    """The names from the province down to the region, e.g. ["广东省", "深圳市", "龙华区"]: a district's
    name alone is ambiguous (海口 has a 龙华区 too). Empty for no region or an unknown code."""
    index, names = region_index(), []
    while code in index:
        name, code = index[code]
        names.insert(0, name)
    return names


def region_label(code: str | None) -> str:
    """A region as people name it, from the province down ("广东省 深圳市 龙华区"), in the page's script
    (see place_name); an unknown code as itself."""
    return " ".join(map(place_name, region_path(code))) or (code or "")


def region_choices(*, codes: bool = True) -> list[tuple[str, str]]:
    """Choices for a form's region field, indented by level; with `codes`, each with the code staff may know."""
    return [(code, "　" * depth + (f"{place_name(name)}（{code}）" if codes else place_name(name)))
            for code, name, depth in region_tree()]


# Where OpenCC's phrase table leaves a place name's character as it is: 云城 is a word to it, but the
# district of 云浮市 is 雲城區 in Traditional characters.
TRADITIONAL_PLACE_NAMES = {"云城区": "雲城區"}


@lru_cache(maxsize=4096)
def _traditional(name: str) -> str:
    # s2t, not the interface's s2twp: a place name keeps its characters and takes no Taiwanese wording.
    return TRADITIONAL_PLACE_NAMES.get(name) or chinese_converter("s2t")(name)


def place_name(name: str) -> str:
    """A place name as stored (Simplified Chinese), written in Traditional characters on Traditional
    Chinese pages: 琼中黎族苗族自治县 → 瓊中黎族苗族自治縣. Other languages show the Chinese name,
    as a letter's address would."""
    locale = get_locale()
    return _traditional(name) if locale is not None and locale.script == "Hant" else name
