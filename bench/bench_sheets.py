"""Time the bulk list template: a 10 000-row export and import, wall time and peak RSS.

Usage::

    PYTHONPATH=. python bench/bench_sheets.py [--sizes 1000 10000] [--no-db]

For each size, three fresh processes (so that each peak RSS is its own):

* ``make``: writes a filled nominations template of that many rows (not measured);
* ``export``: builds the rows and draws the template
  (:func:`handlers.io.bulk_sheet.write_template`), what ``/xuatmau`` does;
* ``import``: reads the file back (:func:`handlers.io.bulk_sheet.read_bulk`), checks every row
  with the wizard's field rules (:func:`handlers.io.bulk_rows.check_nominations`) and, unless
  ``--no-db``, stores them in one transaction on a migrated SQLite database with the Bỉm Sơn
  demo (:func:`handlers.services.bulk_import.import_nominations`, with the audit rows). Loading
  the demo is not timed, but its memory is in the peak.

It prints wall seconds (with the CPU seconds of the process, which a busy machine does not
inflate, and the part spent storing) and peak RSS (MB) per step and size, the targets (< 5 s,
< 200 MB) and the ratio of the biggest size to the smallest. The chat itself accepts at most
:data:`handlers.io.bulk_sheet.MAX_DATA_ROWS` rows per file; the bench lifts that limit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 5.0
TARGET_MB = 200.0
_AWARDS = {
    "ca_nhan": {"LDTT": "Lao động tiên tiến", "CSTDCS": "Chiến sĩ thi đua cơ sở"},
    "tap_the": {"TTLDTT": "Tập thể lao động tiên tiến"},
}
_LABELS = {
    "name": "Họ và tên",
    "gender": "Giới tính",
    "birth_year": "Năm sinh",
    "position": "Chức vụ",
    "workplace": "Đơn vị công tác",
    "award": "Hình thức khen thưởng",
    "summary": "Tóm tắt thành tích",
}
_SUMMARY = "Hoàn thành xuất sắc nhiệm vụ năm 2019; gương mẫu, đi đầu trong các phong trào thi đua."


def _spec() -> Any:
    from handlers.io.bulk_sheet import COLUMNS, BulkKind, TemplateSpec

    kind = BulkKind.NOMINATIONS
    return TemplateSpec(
        kind=kind,
        campaign_code="BIMSON-DHTT-2019",
        title="Danh sách đề cử khen thưởng",
        labels={k: _LABELS[k] for k in COLUMNS[kind]},
        example={"name": "Ví dụ: Nguyễn Văn An"},
        guide=["Hướng dẫn"],
        guide_title="Hướng dẫn",
        sheet_title="Danh sách đề cử",
        choices={"gender": ["Nam", "Nữ"], "award": [*_AWARDS["ca_nhan"].values()]},
        year_range=(1920, 2004),
    )


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Nguyễn Văn Thành {i}",
            "gender": "Nam" if i % 2 else "Nữ",
            "birth_year": 1960 + i % 40,
            "position": f"Chuyên viên phòng {i % 17}",
            "award": "Lao động tiên tiến",
            "summary": _SUMMARY,
        }
        for i in range(n)
    ]


def _export(n: int, _path: Path) -> None:
    from handlers.io.bulk_sheet import write_template

    write_template(_spec(), _rows(n))


def _make(n: int, path: Path) -> None:
    from handlers.io.bulk_sheet import write_template

    path.write_bytes(write_template(_spec(), _rows(n)))


async def _store(entries: list[Any]) -> None:
    from benchdb import sqlite_engine
    from sqlalchemy import select

    from bot.app import load_demo
    from handlers.services.bulk_import import Actor, import_nominations
    from storage.db import make_session_factory
    from storage.models import Person, Requirement, RequirementKind, Role, Unit

    now = dt.datetime(2019, 11, 12, 2, tzinfo=dt.UTC)
    async with sqlite_engine() as engine:
        factory = make_session_factory(engine)
        async with factory.begin() as session:
            await load_demo(session, now)
        async with factory() as session:
            unit = (await session.scalars(select(Unit).where(Unit.code == "P-BADINH"))).one()
            person = (
                await session.scalars(select(Person).where(Person.role == Role.UNIT_HEAD))
            ).first()
            req = (
                await session.scalars(
                    select(Requirement).where(Requirement.kind == RequirementKind.NOMINATION_LIST)
                )
            ).first()
            assert person is not None and req is not None
            ids = (req.campaign_id, req.id, person.id)
        start, cpu = time.perf_counter(), time.process_time()
        async with factory.begin() as session:
            await import_nominations(
                session,
                Actor(ids[2], unit, now),
                campaign_id=ids[0],
                requirement_id=ids[1],
                entries=entries,
                award_names={**_AWARDS["ca_nhan"], **_AWARDS["tap_the"]},
            )
        _STORE_SECONDS.append(time.perf_counter() - start)
        _STORE_SECONDS.append(time.process_time() - cpu)


#: The store's wall and CPU seconds (set by the ``import`` child).
_STORE_SECONDS: list[float] = []


def _import(n: int, path: Path, *, db: bool) -> tuple[float, float]:
    """Read and check, then store (the demo load excluded): wall and CPU seconds."""
    from handlers.io.bulk_rows import check_nominations
    from handlers.io.bulk_sheet import read_bulk

    start, cpu = time.perf_counter(), time.process_time()
    rows = read_bulk(path.read_bytes(), _spec().kind, "BIMSON-DHTT-2019", max_rows=n)
    entries, problems = check_nominations(rows, dt.date(2019, 11, 12), _AWARDS)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not problems and len(entries) == n, problems[:3]
    if db:
        asyncio.run(_store(entries))
        seconds += _STORE_SECONDS[0]
        cpu += _STORE_SECONDS[1]
    return seconds, cpu


def _child(step: str, n: int, path: Path, db: bool) -> None:
    import handlers.io.bulk_rows
    import handlers.services.bulk_import  # noqa: F401

    start, cpu = time.perf_counter(), time.process_time()
    if step == "make":
        _make(n, path)
    elif step == "export":
        _export(n, path)
    if step in ("make", "export"):
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    else:
        seconds, cpu = _import(n, path, db=db)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store = _STORE_SECONDS[0] if _STORE_SECONDS else 0.0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "store": store}))


def _run(step: str, n: int, path: Path, db: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", step, str(n), str(path)]
    if not db:
        args.append("--no-db")
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--no-db", action="store_true", help="import without the database")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, n, path = args.child
        _child(step, int(n), Path(path), not args.no_db)
        return
    results: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            path = Path(folder) / f"rows-{n}.xlsx"
            _run("make", n, path, False)
            for step in ("export", "import"):
                results[(step, n)] = found = _run(step, n, path, not args.no_db)
                ok = found["seconds"] < TARGET_SECONDS and found["peak_mb"] < TARGET_MB
                print(
                    f"{step:6} {n:>6} rows: {found['seconds']:6.2f} s "
                    f"(CPU {found['cpu']:5.2f} s; storing {found['store']:5.2f} s), "
                    f"peak RSS {found['peak_mb']:6.1f} MB  "
                    f"{'ok' if ok else 'OVER TARGET'} (< {TARGET_SECONDS:.0f} s, "
                    f"< {TARGET_MB:.0f} MB)"
                )
    small, big = min(args.sizes), max(args.sizes)
    if small != big:
        for step in ("export", "import"):
            a, b = results[(step, small)], results[(step, big)]
            print(
                f"{step:6} {big}/{small} rows: time ×{b['seconds'] / a['seconds']:.1f}, "
                f"peak RSS ×{b['peak_mb'] / a['peak_mb']:.2f}"
            )


if __name__ == "__main__":
    main()
