"""Registry import benchmark: the portal's import of a million-row CSV against PostgreSQL COPY.

Generates a registry file the way a poverty office exports it (GBK-encoded CSV; households of 3–5
people in Hainan and Guangdong counties; valid ID numbers with correct check digits; about 3 % bad
rows: wrong check digits, future birth dates, bad region codes, unknown statuses, missing names,
repeated ID numbers). Then, on a scratch PostgreSQL database made for the run and dropped after:

1. COPY of the same file into a bare table of text columns (psycopg `cursor.copy`), timed;
2. the portal's import of the file into the empty registry, in a child process, through the
   services the `flask portal registry import` command calls; its peak memory is the child's
   ru_maxrss (and that of the worker processes it forks to check rows).

3. the floor under any import into this schema: the rows the import wrote (hashed, encrypted,
   checked), copied out and COPYed in binary format (nothing to parse) into an empty copy of
   `registry_people`, whose unique index, household index and foreign key are then built, as the
   import itself does on a first load;
4. the same file imported again, as an office's next month's list mostly is: every row checked
   and compared with the registry, nothing changed.

It prints rows/s for each, the ratio to COPY (best of three runs of it, so a lucky import cannot
flatter the ratio), the import's two phases (reading, checking and staging the rows; merging them
into the registry) and its peak memory, against the targets. It is a measurement: it exits 0
whether or not the targets are met, and 1 only when it cannot measure.

    make bench-registry                                   # .venv/bin/python bench/registry_import.py
    .venv/bin/python bench/registry_import.py --rows 100000
    .venv/bin/python bench/registry_import.py --rows 100000 --xlsx   # the same rows as an XLSX workbook
"""
import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run by path (bench/registry_import.py), so the repo root is not on sys.path

import psycopg  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from portal.common.regions import RegionLevel, current_divisions  # noqa: E402

TARGET_RATIO = 2.0
TARGET_MEMORY_MB = 500
BUSY_WARNING = 0.10  # share of the CPUs in use by others before measuring, above which figures are suspect
SERVER = "postgresql://postgres@127.0.0.1:5432"
HEADER = ["姓名", "身份证号", "户编号", "与户主关系", "行政区划代码", "县", "乡镇", "村", "识别年度", "脱贫状态",
          "是否低保", "联系电话"]
SURNAMES = "王陈林李张黄吴符羊邢梁杨周何郑刘蔡唐冯许韦莫谭罗钟"
GIVEN = "海南山水明华春秋金玉文武建国志强丽芳小英秀兰德福安平永兴光辉宇晨思雨佳欣子涵浩然俊杰"
TOWN_WORDS = "东西南北中新大小龙凤石河岭坡塘湾田"
STATUSES = [("已脱贫", 80), ("监测对象", 12), ("未脱贫", 5), ("返贫", 3)]
# (share of rows, how the row is spoiled): about 3 % of rows are bad, as real exports are.
BAD_KINDS = [(0.010, "check_digit"), (0.005, "future_birth"), (0.005, "region_code"), (0.003, "status"),
             (0.003, "name"), (0.004, "duplicate")]


def _id_number(rng: random.Random, county: str, born: date) -> str:
    body = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _born(rng: random.Random, first: int, last: int) -> date:
    return date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))


def _name(rng: random.Random, surname: str) -> str:
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate(path: Path, rows: int, encoding: str, seed: int = 20261123) -> None:
    """Write the registry file: whole households, bad rows sprinkled in; the same file for a seed."""
    rng = random.Random(seed)
    counties = [d for d in current_divisions(("46", "44")) if d.level == RegionLevel.county]
    statuses, weights = zip(*STATUSES)
    seen: set[str] = set()
    issued: list[str] = []  # in order, so the repeated numbers are the same on every run
    written = 0
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        household = 0
        while written < rows:
            county = rng.choice(counties)
            household += 1
            surname = rng.choice(SURNAMES)
            township = rng.choice(TOWN_WORDS) + rng.choice(TOWN_WORDS) + "镇"
            village = rng.choice(TOWN_WORDS) + rng.choice(TOWN_WORDS) + "村"
            household_no = f"{county.code}{household:010d}"
            status = rng.choices(statuses, weights)[0]
            dibao = "是" if rng.random() < 0.2 else "否"
            year = str(rng.randint(2014, 2020))
            # Householder and spouse, then children; some households have a grandparent.
            members = [("户主", 1955, 1985), ("配偶", 1955, 1985)]
            members += [(rng.choice(("之子", "之女")), 1995, 2015) for _ in range(rng.randint(1, 3))]
            if len(members) < 5 and rng.random() < 0.3:
                members.append((rng.choice(("之父", "之母")), 1935, 1955))
            for relation, first, last in members[:rows - written]:
                number = _id_number(rng, county.code, _born(rng, first, last))
                while number in seen:
                    number = _id_number(rng, county.code, _born(rng, first, last))
                seen.add(number)
                issued.append(number)
                row = [_name(rng, surname if relation != "配偶" else rng.choice(SURNAMES)), number, household_no,
                       relation, county.code, county.name, township, village, year, status, dibao,
                       f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if relation == "户主" else ""]
                _spoil(rng, row, issued)
                writer.writerow(row)
                written += 1


def to_xlsx(source: Path, target: Path, encoding: str) -> None:
    """The same rows as an XLSX workbook, every cell text, as offices' systems export them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with source.open(encoding=encoding, newline="") as rows:
        for row in csv.reader(rows):
            sheet.append(row)
    workbook.save(target)


def _spoil(rng: random.Random, row: list[str], issued: list[str]) -> None:
    draw = rng.random()
    for share, kind in BAD_KINDS:
        if draw >= share:
            draw -= share
            continue
        if kind == "check_digit":
            row[1] = row[1][:17] + ("0" if row[1][17] != "0" else "1")
        elif kind == "future_birth":
            body = f"{row[1][:6]}{date.today().year + 1}0101{row[1][14:17]}"
            row[1] = body + ric.calc_check_digit(body + "0")
        elif kind == "region_code":
            row[4] = row[4][:5]
        elif kind == "status":
            row[9] = "已退出"
        elif kind == "name":
            row[0] = ""
        elif kind == "duplicate":
            row[1] = rng.choice(issued)
        return


# --- the measurements --------------------------------------------------------------------------

def copy_baseline(url: str, path: Path, encoding: str, runs: int = 3) -> float:
    """Seconds for COPY of the file's rows into a bare table of text columns: the best of `runs`."""
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    best = float("inf")
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(runs):
            conn.execute("DROP TABLE IF EXISTS copy_baseline")
            conn.execute(f"CREATE TABLE copy_baseline ({columns})")
            conn.execute("CHECKPOINT")  # each run starts with the same WAL to write
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cursor, path.open("rb") as source, cursor.copy(
                    f"COPY copy_baseline FROM STDIN (FORMAT csv, HEADER true, ENCODING '{encoding.upper()}')") as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
            best = min(best, time.perf_counter() - started)
        conn.execute("DROP TABLE copy_baseline")
    return best


def registry_floor(url: str) -> tuple[float, float]:
    """Seconds to COPY the rows the import wrote into an empty copy of registry_people, in COPY's
    binary format (the quickest way in: nothing to parse), and then to build its unique index,
    household index and foreign key: what any import into this schema must spend."""
    with psycopg.connect(url, autocommit=True) as conn:
        columns = [name for (name,) in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'registry_people'::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum")]
        listed = ", ".join(columns)
        rows = bytearray()
        with conn.cursor() as cursor, cursor.copy(f"COPY registry_people ({listed}) TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                rows += block
        conn.execute("CREATE TABLE floor_people (LIKE registry_people INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.transaction():
            copy_in = f"COPY floor_people ({listed}) FROM STDIN (FORMAT binary)"
            with conn.cursor() as cursor, cursor.copy(copy_in) as copy:
                for start in range(0, len(rows), 1 << 20):
                    copy.write(rows[start:start + (1 << 20)])
            copied = time.perf_counter() - started
            conn.execute("ALTER TABLE floor_people ADD PRIMARY KEY (id), ADD UNIQUE (id_hash)")
            conn.execute("CREATE INDEX ON floor_people (household_no)")
            conn.execute("ALTER TABLE floor_people ADD FOREIGN KEY (first_import_id) REFERENCES registry_imports (id)")
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE floor_people")
    return copied, seconds


def run_child(url: str, path: Path, instance: Path) -> dict:
    """Import the file in a child process; its figures, and its peak memory and its workers'."""
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(instance)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, __file__, "--child", url, str(path)], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the import failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["child_maxrss_mb"] = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return figures


def child(url: str, path: Path) -> None:
    """In the child: the import as the CLI does it, timed; prints its figures as JSON."""
    from portal import create_app
    from portal.extensions import db
    from portal.registry.services import create_import, run_import

    # The ID key is the run's own, made in the scratch instance folder by the first import, as a new
    # portal makes it, and read from there by the second.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context(), path.open("rb") as source:
        started = time.perf_counter()
        batch = create_import(None, path.name, source, full=True, keep_file=False)
        db.session.commit()
        batch = run_import(batch.id, source)
        db.session.commit()
        seconds = time.perf_counter() - started
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "status": str(batch.status), "error": batch.error,
                          "added": batch.added, "rejected": batch.rejected, "rows": batch.rows_done,
                          "changed": batch.added + batch.updated + batch.left,
                          "main_maxrss_mb": own, "worker_maxrss_mb": workers}))


def others_busy(seconds: float = 1.0) -> float:
    """The share of the CPUs in use while this process sleeps: other work that would skew the figures."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            ticks = [int(t) for t in stat.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # all, idle + iowait
    total, idle = sample()
    time.sleep(seconds)
    total_after, idle_after = sample()
    return 1 - (idle_after - idle) / max(1, total_after - total)


def watch_phases(url: str, stop: threading.Event, marks: dict) -> None:
    """Note when the import has staged every row: from then on it merges."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT rows_done, rows_total, status FROM registry_imports").fetchone()
            if row and row[2] == "running":
                marks.setdefault("started", time.perf_counter())
                if row[0] and row[0] == row[1]:
                    marks.setdefault("staged", time.perf_counter())
            time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default=SERVER, help="a PostgreSQL server the bench may create a database on")
    parser.add_argument("--encoding", default="gbk", choices=("gbk", "utf-8"))
    parser.add_argument("--xlsx", action="store_true",
                        help="import the rows saved as an XLSX workbook (COPY still reads them as CSV)")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0

    scratch = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    url = f"{args.server}/{name}"
    try:
        path = scratch / "registry.csv"
        started = time.perf_counter()
        generate(path, args.rows, args.encoding)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB, {args.encoding}) "
              f"in {time.perf_counter() - started:.1f} s")
        imported = path
        if args.xlsx:
            imported = scratch / "registry.xlsx"
            to_xlsx(path, imported, args.encoding)
            print(f"saved them as XLSX ({imported.stat().st_size / 1e6:.0f} MB) to import")

        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        _migrate(url, scratch)

        busy = others_busy()
        copy_seconds = copy_baseline(url, path, args.encoding)
        stop, marks = threading.Event(), {}
        watcher = threading.Thread(target=watch_phases, args=(url, stop, marks), daemon=True)
        watcher.start()
        figures = run_child(_sqlalchemy_url(url), imported, scratch)
        stop.set()
        watcher.join()
        floor_copied, floor_seconds = registry_floor(url)
        again = run_child(_sqlalchemy_url(url), imported, scratch)
    except (OSError, RuntimeError, psycopg.Error) as e:
        print(f"cannot measure: {e}", file=sys.stderr)
        return 1
    finally:
        _drop(args.server, name)
        shutil.rmtree(scratch, ignore_errors=True)

    rows, seconds = args.rows, figures["seconds"]
    ratio = seconds / copy_seconds
    memory = figures["main_maxrss_mb"]
    print(f"import: {figures['status']}, {figures['added']:,} added, {figures['rejected']:,} rejected "
          f"of {figures['rows']:,} rows{' — ' + figures['error'] if figures['error'] else ''}")
    print(f"COPY into a bare table : {copy_seconds:7.2f} s  {rows / copy_seconds:>10,.0f} rows/s  (best of 3)")
    label = f"portal import ({imported.suffix[1:].upper()})"
    print(f"{label:<22} : {seconds:7.2f} s  {rows / seconds:>10,.0f} rows/s")
    if "staged" in marks and "started" in marks:
        print(f"  read, check, stage   : ~{marks['staged'] - marks['started']:6.2f} s (polled every 0.05 s)")
        print(f"  merge into registry  : ~{seconds - (marks['staged'] - marks['started']):6.2f} s "
              "(with creating the batch and hashing the file)")
    print(f"ratio import / COPY    : {ratio:7.2f}   target ≤ {TARGET_RATIO:.0f}  "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    print(f"floor for this schema  : {floor_seconds:7.2f} s  = {floor_seconds / copy_seconds:.2f} × COPY: the import's "
          "own rows COPYed (binary) into registry_people, then its indexes and foreign key built")
    print(f"  of which the rows    : {floor_copied:7.2f} s  = {floor_copied / copy_seconds:.2f} × COPY, "
          "before any index")
    print(f"import again           : {again['seconds']:7.2f} s  = {again['seconds'] / copy_seconds:.2f} × COPY, "
          f"{again['changed']:,} people changed")
    print(f"peak memory (import)   : {memory:7.0f} MB  target ≤ {TARGET_MEMORY_MB} MB  "
          f"{'met' if memory <= TARGET_MEMORY_MB else 'NOT met'}")
    print(f"  largest worker       : {figures['worker_maxrss_mb']:7.0f} MB (RSS, mostly pages shared with the import)")
    print(f"CPUs busy beforehand   : {busy:7.0%} of {os.cpu_count()}, with this bench idle")
    if busy > BUSY_WARNING:
        print("warning: other work was running; compare figures from an idle machine only")
    return 0


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _migrate(url: str, instance: Path) -> None:
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(url), "SECRET_KEY": "bench", "ID_KEY": "00" * 32})
    with app.app_context():
        upgrade()
        from portal.extensions import db
        db.engine.dispose()


def _drop(server: str, name: str) -> None:
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as e:
        print(f"could not drop the scratch database {name}: {e}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
