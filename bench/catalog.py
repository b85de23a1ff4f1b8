"""Catalog benchmark: the /courses search under load, against a bare Flask + SQLite page.

Builds a scratch SQLite database of 10,000 courses at 200 institutions in Hainan and Guangdong,
starts gunicorn servers with 2 sync workers each — the portal as deployed, the portal with its
anonymous page cache off (so every request searches and renders), and a baseline bare Flask app
that reads 20 courses with one query and renders them from a template file — loads each in turn
with wrk, and prints requests/sec, the catalog/baseline ratios, the catalog's p99 latencies and
the weight of the /courses page against their targets. It is a measurement, so it exits 0 whether or
not the targets are met; it exits 1 only when it cannot measure (a server fails to start, wrk is
missing).

    make bench-catalog                         # .venv/bin/python bench/catalog.py
    .venv/bin/python bench/catalog.py --duration 3
"""
import argparse
import html
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run by path (bench/catalog.py), so the repo root is not on sys.path

from sqlalchemy import insert, select, text  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from portal import create_app  # noqa: E402
from portal.common.regions import Region, RegionLevel, load_regions  # noqa: E402
from portal.courses.models import Course  # noqa: E402
from portal.courses.services import CatalogQuery, course_search_text, search_catalog  # noqa: E402
from portal.courses.views import today  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.institutions.models import Institution  # noqa: E402

COURSES = 10_000
INSTITUTIONS = 200
WORKERS = 2
WRK_THREADS = 2
WRK_CONNECTIONS = 16
WARMUP_SECONDS = 1
# A popular trade in one province's free courses: a few pages of matches, so the search, the
# window count and the pager all do real work.
SEARCH = {"q": "电工", "kind": "free_training", "region": "460000"}

TARGET_RATIO = 0.6
TARGET_P99_MS = 40.0
PAGE_BUDGET_BYTES = 50 * 1024
BUSY_WARNING = 0.10  # share of the CPUs in use by others, idle servers, above which figures are suspect

# (trade, weight): the trades rural job-seekers ask for most are listed more often.
TRADES = [
    ("电工", 6), ("育婴员", 5), ("养老护理员", 5), ("中式烹调师", 5), ("电子商务师", 4), ("焊工", 4),
    ("家政服务员", 4), ("汽车维修工", 3), ("中式面点师", 2), ("西式面点师", 2), ("保育员", 2),
    ("互联网营销师", 2), ("茶艺师", 2), ("美容师", 2), ("美发师", 2), ("保健按摩师", 2), ("砌筑工", 1),
    ("钢筋工", 1), ("架子工", 1), ("木工", 1), ("油漆工", 1), ("防水工", 1), ("混凝土工", 1), ("叉车司机", 1),
    ("快递员", 1), ("保安员", 1), ("计算机操作员", 1), ("电梯安装维修工", 1), ("制冷空调系统安装维修工", 1),
    ("摩托车修理工", 1), ("农机修理工", 1), ("农艺工", 1), ("橡胶割胶工", 1), ("热带作物栽培工", 1),
    ("水产养殖工", 1), ("果树园艺工", 1), ("家畜饲养员", 1), ("中药调剂员", 1), ("缝纫工", 1),
    ("服装制版师", 1), ("健康管理师", 1), ("眼镜验光员", 1),
]
LEVEL_WORDS = {"none": "", "junior": "初级工", "intermediate": "中级工", "senior": "高级工",
               "technician": "技师", "senior_technician": "高级技师"}
BRANDS = ["阳光", "启航", "金桥", "新时代", "惠民", "兴农", "致富", "巧手", "春晖", "南粤", "椰风", "蓝海",
          "鹏程", "育才", "华南", "众诚", "同心", "乡村振兴"]
SCHEDULES = ["周一至周五 8:30–17:00", "周末全天", "每晚 19:00–21:00", "集中培训，食宿由学校安排",
             "农闲时段集中授课", "线上自学＋线下实操"]
BASELINE_QUERY = ("SELECT title, trade, start_date, capacity FROM courses "
                  "WHERE status = 'published' ORDER BY start_date LIMIT 20")

BASELINE_APP = '''\
"""Baseline: a bare Flask app, one SQLite query, a 20-row table rendered from a template file."""
import sqlite3

from flask import Flask, g, render_template

app = Flask(__name__)


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect({db_path!r})
    return g.db


@app.teardown_appcontext
def close_db(_exc):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@app.get("/")
def courses():
    rows = get_db().execute({query!r}).fetchall()
    return render_template("courses.html", rows=rows)
'''
BASELINE_TEMPLATE = """\
<!doctype html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><title>课程</title></head>
<body>
<table>
  <thead><tr><th>课程名称</th><th>职业（工种）</th><th>开课日期</th><th>招生人数</th></tr></thead>
  <tbody>
  {% for title, trade, start_date, capacity in rows %}
    <tr><td>{{ title }}</td><td>{{ trade }}</td><td>{{ start_date }}</td><td>{{ capacity }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</body>
</html>
"""


def build_database(db_path: Path) -> tuple[int, list[str]]:
    """Fill a fresh database; return the benchmark search's match count and its first page's titles."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench"})
    rng = random.Random(20240601)  # the same data every run, so runs compare
    with app.app_context():
        db.create_all()
        load_regions(("46", "44"))
        regions = {r.code: r for r in db.session.scalars(select(Region))}
        parents = {r.parent_code for r in regions.values()}
        # Counties, and the cities that have none (儋州, 东莞, 中山): where courses are held.
        leaves = [r for r in regions.values() if r.level != RegionLevel.province and r.code not in parents]
        day = today()
        institutions = _institution_rows(rng, leaves, regions)
        db.session.execute(insert(Institution), institutions)
        db.session.execute(insert(Course), _course_rows(rng, institutions, leaves, regions, day))
        db.session.commit()
        # Give the query planner row counts, as a production database that has run ANALYZE has.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        page = search_catalog(CatalogQuery(**SEARCH), day, app.config["CATALOG_PAGE_SIZE"])
        titles = [c.title for c in page.courses]
        db.session.remove()
        db.engine.dispose()  # close the file (and checkpoint the WAL) before the servers open it
    return page.total, titles


def _place(region: Region, regions: dict[str, Region]) -> str:
    """A name to put before a school's: the county, or city and district for a 区."""
    parent = regions.get(region.parent_code or "")
    if region.name.endswith("区") and parent is not None and parent.level == RegionLevel.city:
        return parent.name + region.name
    return region.name


def _institution_rows(rng: random.Random, leaves: list[Region], regions: dict[str, Region]) -> list[dict]:
    hainan = [r for r in leaves if r.code.startswith("46")]
    guangdong = [r for r in leaves if r.code.startswith("44")]
    rows, names, codes = [], set(), set()
    for i in range(1, INSTITUTIONS + 1):
        # Hainan is over-weighted (~40 %) against its share of counties: it is the portal's home.
        region = rng.choice(hainan if rng.random() < 0.4 else guangdong)
        kind = "technical_college" if rng.random() < 0.35 else "training_centre"
        while True:
            suffix = rng.choice(["技工学校", "高级技工学校", "技师学院"]) if kind == "technical_college" \
                else rng.choice(["职业技能培训学校", "职业培训中心", "职业技能培训中心"])
            name = _place(region, regions) + rng.choice(BRANDS) + suffix
            code = _uscc(rng, region.code, kind)
            if name not in names and code not in codes:
                break
        names.add(name)
        codes.add(code)
        rows.append({
            "id": i, "name": name, "uscc": code, "kind": kind, "region_code": region.code,
            "address": f"{_place(region, regions)}{rng.choice(['人民路', '解放路', '建设路', '滨海大道', '育才路'])}"
                       f"{rng.randint(1, 399)}号",
            "phone": f"0{'898' if region.code.startswith('46') else rng.choice(['20', '755', '757', '760', '763'])}"
                     f"-{rng.randint(20000000, 89999999)}",
            "description": "面向农村劳动力和建档立卡贫困家庭成员开展职业技能培训。",
        })
    return rows


def _uscc(rng: random.Random, region_code: str, kind: str) -> str:
    """A valid 统一社会信用代码: 12 (事业单位) for a 技工院校, 52 (民办非企业单位) for a training school."""
    org = "".join(str(rng.randint(0, 9)) for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check digit
    check = 11 - sum(int(c) * w for c, w in zip(org, weights)) % 11
    org += {10: "X", 11: "0"}.get(check, str(check))
    body = ("12" if kind == "technical_college" else "52") + region_code + org
    return body + uscc.calc_check_digit(body)


def _course_rows(rng: random.Random, institutions: list[dict], leaves: list[Region],
                 regions: dict[str, Region], day: date) -> list[dict]:
    trades, trade_weights = zip(*TRADES)
    rows = []
    for _ in range(COURSES):
        inst = rng.choice(institutions)
        college = inst["kind"] == "technical_college"
        kind = rng.choices(["free_training", "poverty_class", "regular"],
                           weights=(3, 3, 4) if college else (9, 0, 1))[0]
        mode = rng.choices(["on_site", "village", "remote"], weights=(6, 3, 1))[0]
        trade = rng.choices(trades, weights=trade_weights)[0]
        # 送教下乡 takes the course to another county of the same province.
        region_code = rng.choice([r.code for r in leaves if r.code[:2] == inst["region_code"][:2]]) \
            if mode == "village" else inst["region_code"]
        if kind == "free_training":
            level = rng.choices(["none", "junior", "intermediate", "senior"], weights=(2, 5, 3, 1))[0]
            capacity = rng.randint(20, 60)
            reserved = rng.randint(0, capacity // 4)
            hours = rng.randrange(40, 201, 8)
            length = timedelta(days=rng.randint(7, 60))
            fee, waiver, grant, allowance = 0, False, False, rng.random() < 0.5
        else:
            level = rng.choices(["intermediate", "senior", "technician", "senior_technician"],
                                weights=(5, 4, 2, 1))[0]
            capacity = rng.randint(30, 50) if kind == "poverty_class" else rng.randint(40, 120)
            reserved = rng.randint(capacity // 2, capacity) if kind == "poverty_class" \
                else rng.randint(0, capacity // 10)
            hours = rng.randrange(1200, 3601, 120)
            length = timedelta(days=365 * rng.choice([2, 3]))
            waiver = kind == "poverty_class" or rng.random() < 0.3
            fee = 0 if waiver else rng.choice([180000, 240000, 300000, 360000])
            grant, allowance = kind == "poverty_class" or rng.random() < 0.3, kind == "poverty_class"
        seats_filled = rng.randint(0, capacity * 3 // 4)
        reserved_filled = rng.randint(max(0, seats_filled - (capacity - reserved)), min(reserved, seats_filled))
        # Most windows are open today (Asia/Shanghai); a few closed last month, as in a live catalog.
        if rng.random() < 0.92:
            apply_opens = day - timedelta(days=rng.randint(0, 45))
            apply_closes = day + timedelta(days=rng.randint(1, 75))
        else:
            apply_closes = day - timedelta(days=rng.randint(1, 30))
            apply_opens = apply_closes - timedelta(days=rng.randint(15, 45))
        start = apply_closes + timedelta(days=rng.randint(3, 21))
        place = _place(regions[region_code], regions)
        title = _title(rng, trade, level, kind, mode, place, start)
        rows.append({
            "institution_id": inst["id"], "title": title,
            "search_text": course_search_text(title, trade, inst["name"]),
            "trade": trade, "level": level, "kind": kind, "mode": mode,
            "status": rng.choices(["published", "draft", "closed"], weights=(88, 7, 5))[0],
            "region_code": region_code, "address": inst["address"] if mode != "village" else f"{place}各乡镇",
            "schedule": rng.choice(SCHEDULES), "hours": hours,
            "start_date": start, "end_date": start + length,
            "apply_opens": apply_opens, "apply_closes": apply_closes,
            "capacity": capacity, "reserved_places": reserved,
            "seats_filled": seats_filled, "reserved_filled": reserved_filled,
            "fee_fen": fee, "fee_waiver": waiver, "national_grant": grant, "living_allowance": allowance,
            "description": f"学习{trade}岗位所需的理论知识和操作技能，结业考核合格者取得职业技能等级证书，"
                           f"并由学校推荐就业。优先招收建档立卡贫困家庭成员。",
            "how_to_apply": "携带身份证、户口簿到学校招生办报名，也可拨打招生电话咨询。",
        })
    return rows


def _title(rng: random.Random, trade: str, level: str, kind: str, mode: str, place: str, start: date) -> str:
    season = "春季" if start.month <= 6 else "秋季"
    if kind == "poverty_class":
        title = f"{trade}专业扶贫班（{start.year}级）"
    elif kind == "regular":
        title = f"{trade}专业（{start.year}年{season}招生）"
    else:
        title = rng.choice([f"{trade}{LEVEL_WORDS[level]}免费培训班（{start.year}年{season}）",
                            f"{place}{trade}职业技能培训（第{rng.randint(1, 12)}期）",
                            f"{trade}{LEVEL_WORDS[level]}技能提升培训班"])
    return {"village": "送教下乡·", "remote": "线上·"}.get(mode, "") + title


def write_baseline(directory: Path, db_path: Path) -> None:
    (directory / "baseline.py").write_text(BASELINE_APP.format(db_path=str(db_path), query=BASELINE_QUERY))
    (directory / "templates").mkdir()
    (directory / "templates" / "courses.html").write_text(BASELINE_TEMPLATE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app_spec: str, chdir: Path, port: int, log: Path, env: dict | None = None) -> subprocess.Popen:
    # A session of its own, so that stopping it reaches the master and its workers together.
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--chdir", str(chdir), app_spec],
        env={**os.environ, **(env or {})}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until_ok(name: str, url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    status, body = None, b""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            status, body = fetch(url)
        except OSError:  # not listening yet
            status = None
        if status == 200:
            return
        time.sleep(0.2)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
    raise SystemExit(f"{name} did not answer 200 at {url} (last status {status}).\n"
                     f"--- server log ---\n{tail}\n--- last body ---\n{body[:2000].decode(errors='replace')}")


def run_wrk(url: str, duration: int) -> dict:
    """wrk's requests/sec, p99 latency in ms (None when no request completed), and its warnings."""
    out = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    completed = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit] if completed else None
    warnings = [line.strip() for line in out.splitlines() if line.strip().startswith(("Non-2xx", "Socket errors"))]
    timeouts = re.search(r"timeout (\d+)", out)
    if timeouts and int(timeouts.group(1)):
        # wrk leaves requests slower than its 2 s timeout out of the latency figures.
        warnings.append(f"{timeouts.group(1)} requests timed out and are not in the p99")
    if not completed:
        warnings.append("no request completed during the run")
    return {"rps": rps, "p99_ms": p99_ms, "warnings": warnings}


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


class _Assets(HTMLParser):
    """The stylesheets and scripts a page links."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])


def page_weight(url: str) -> list[tuple[str, int]]:
    """(what, bytes) for a page's HTML and each CSS/JS file it links, uncompressed."""
    status, body = fetch(url)
    if status != 200:
        raise SystemExit(f"{url} answered {status}")
    parser = _Assets()
    parser.feed(body.decode())
    parts = [("HTML", len(body))]
    for src in dict.fromkeys(parser.urls):
        status, asset = fetch(urljoin(url, src))
        parts.append((f"{src}{'' if status == 200 else f' (HTTP {status})'}", len(asset)))
    return parts


def busy_share(seconds: float = 1.0) -> float | None:
    """The share of all CPUs in use over the next `seconds`, from /proc/stat; None off Linux.

    Taken while both servers idle, it is load from other processes, which wrk's figures would
    silently absorb.
    """
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # idle + iowait

    try:
        total, idle = sample()
        time.sleep(seconds)
        total2, idle2 = sample()
    except OSError:
        return None
    return 1 - (idle2 - idle) / max(1, total2 - total)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server (default 10)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    servers: list[subprocess.Popen] = []
    try:
        db_path = tmp / "bench.sqlite3"
        started = time.perf_counter()
        matches, first_titles = build_database(db_path)
        print(f"Database: {COURSES:,} courses at {INSTITUTIONS} institutions, built in "
              f"{time.perf_counter() - started:.1f} s ({db_path})")

        write_baseline(tmp, db_path)
        portal_port, uncached_port, baseline_port = free_port(), free_port(), free_port()
        portal_log, uncached_log, baseline_log = tmp / "portal.log", tmp / "uncached.log", tmp / "baseline.log"
        portal_env = {"PORTAL_SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "PORTAL_SECRET_KEY": "bench"}
        servers.append(start_server("portal:create_app()", REPO, portal_port, portal_log, env=portal_env))
        # The same portal with the anonymous page cache off: every request searches and renders.
        servers.append(start_server("portal:create_app()", REPO, uncached_port, uncached_log,
                                    env={**portal_env, "PORTAL_PUBLIC_PAGE_CACHE_SECONDS": "0"}))
        servers.append(start_server("baseline:app", tmp, baseline_port, baseline_log))
        portal = f"http://127.0.0.1:{portal_port}"
        uncached = f"http://127.0.0.1:{uncached_port}"
        baseline_url = f"http://127.0.0.1:{baseline_port}/"
        catalog_path = f"/courses?{urlencode(SEARCH)}"
        wait_until_ok("portal", portal + "/courses", servers[0], portal_log)
        wait_until_ok("portal without page cache", uncached + "/courses", servers[1], uncached_log)
        wait_until_ok("baseline", baseline_url, servers[2], baseline_log)

        status, body = fetch(portal + catalog_path)
        if status != 200:
            raise SystemExit(f"{catalog_path} answered {status}")
        page_text = body.decode()
        shown = sum(html.escape(t) in page_text for t in dict.fromkeys(first_titles))
        print(f"Catalog URL: {catalog_path}  ({' '.join(f'{k}={v}' for k, v in SEARCH.items())})")
        print(f"  HTTP {status}, {len(body):,} bytes, {matches} matching courses; "
              f"{shown} of the first page's {len(dict.fromkeys(first_titles))} distinct titles found in the page")
        if matches == 0 or shown == 0:
            print("  WARNING: the page shows no results, so the figures below measure an empty search")

        print(f"\nLoad: wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.duration}s --latency, "
              f"each behind gunicorn -w {WORKERS} -k sync, one server at a time ({os.cpu_count()} CPUs)")
        results = {}
        labels = {"baseline": "baseline (bare Flask, 1 query, 20-row table)",
                  "catalog": "catalog  (/courses, keyword + 2 filters)",
                  "uncached": "catalog, page cache off (search + render)"}
        for name, url in (("baseline", baseline_url), ("catalog", portal + catalog_path),
                          ("uncached", uncached + catalog_path)):
            busy = busy_share()
            # Each worker's first requests compile templates and open connections; keep them out.
            run_wrk(url, WARMUP_SECONDS)
            r = results[name] = run_wrk(url, args.duration)
            print(f"  {labels[name]:<46} {r['rps']:9.1f} req/s   p99 {ms(r['p99_ms']):>10}")
            for line in r["warnings"]:
                print(f"    WARNING {name}: {line}")
            if busy is not None and busy > BUSY_WARNING:
                print(f"    WARNING: other processes were using {busy:.0%} of the CPUs just before this run; "
                      f"its figures are low")

        weight = page_weight(portal + "/courses")
        total = sum(n for _, n in weight)
        baseline_rps = results["baseline"]["rps"]
        rows = []
        for name, label in (("catalog", "catalog"), ("uncached", "page cache off")):
            ratio = results[name]["rps"] / baseline_rps if baseline_rps else None
            p99 = results[name]["p99_ms"]
            rows += [
                (f"{label}: req/s ratio ≥ {TARGET_RATIO}", "—" if ratio is None else f"{ratio:.2f}",
                 ratio is not None and ratio >= TARGET_RATIO),
                (f"{label}: p99 ≤ {TARGET_P99_MS:.0f} ms", ms(p99), p99 is not None and p99 <= TARGET_P99_MS),
            ]
        rows.append((f"/courses HTML+CSS+JS ≤ {PAGE_BUDGET_BYTES // 1024} KiB", f"{total / 1024:.1f} KiB",
                     total <= PAGE_BUDGET_BYTES))
        print(f"\n  {'Target':<40} {'Measured':>12}  Result")
        for target, measured, ok in rows:
            print(f"  {target:<40} {measured:>12}  {verdict(ok)}")
        for what, size in weight:
            print(f"    {what:<32} {size:>9,} bytes")
    finally:
        for proc in servers:
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
