"""What a sync's checkpoints cost in the warehouse: the per-row ledger write, on DuckDB.

Every row a sync settles gets a ledger row, written in checkpoints of the sync's default size
(``CHECKPOINT_ROWS``) each: rendered by the dbt package's ``write_ledger_rows`` macro and run in
one transaction. This writes ``--rows`` synced rows that way twice through ``StateStore``, as a
first sync does (new keys: an insert) and as a re-sync does (known keys: a delete, then an
insert), and prints the sync process's CPU per row for each, rendering and DuckDB included.

    python benchmarks/ledger_write.py --rows 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from whole_sync import RESULTS, ScratchProject, commit

from dbt_clarify.dbt import DbtProject, ProjectOptions
from dbt_clarify.engine.options import CHECKPOINT_ROWS
from dbt_clarify.state import LedgerEntry, StateStore

MODEL_ID = "model.integration_tests.clarify_load_people"


def entries(rows: int, known: bool) -> list[LedgerEntry]:
    """Synced rows shaped like a sync's: an email key, a content hash and a Clarify id."""
    rng = random.Random(rows)
    return [
        LedgerEntry(
            row_key=f"person.{n}@company{n % 977}.example",
            status="synced",
            row_hash=f"{rng.getrandbits(128):032x}",
            clarify_id=f"{rng.getrandbits(128):032x}",
            schema_hash="0123456789abcdef",
            known=known,
        )
        for n in range(rows)
    ]


def write_all(store: StateStore, batch: list[LedgerEntry]) -> float:
    """CPU seconds to write ``batch`` one checkpoint at a time."""
    started = time.process_time()
    for start in range(0, len(batch), CHECKPOINT_ROWS):
        with store.transaction():
            store.record_rows(MODEL_ID, "run-1", batch[start : start + CHECKPOINT_ROWS])
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project = ScratchProject(Path(scratch))
        project.use_database(Path(scratch) / "ledger.duckdb")
        os.environ.update(project.env)  # the profile reads its target and path from there
        options = ProjectOptions(project_dir=project.dir, profiles_dir=project.dir)
        with DbtProject.load(options).connect() as warehouse:
            store = StateStore(warehouse, "clarify_ledger_bench")
            store.ensure()
            first = write_all(store, entries(args.rows, known=False))
            again = write_all(store, entries(args.rows, known=True))
            stored = warehouse.query("select count(*) from clarify_ledger_bench.clarify_sync_rows")[
                0
            ][0]
    if stored != args.rows:
        raise SystemExit(f"the ledger holds {stored} rows, not {args.rows}")
    figures = {
        "rows": args.rows,
        "first_sync_us_per_row": round(first / args.rows * 1e6, 1),
        "resync_us_per_row": round(again / args.rows * 1e6, 1),
    }
    print(
        f"ledger write on DuckDB, {args.rows:,} rows in checkpoints of {CHECKPOINT_ROWS:,}: "
        f"first sync {figures['first_sync_us_per_row']} µs/row, "
        f"re-sync {figures['resync_us_per_row']} µs/row (CPU of the sync process)"
    )
    started = datetime.now(timezone.utc)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ledger_{started:%Y%m%dT%H%M%SZ}_{commit()}.json"
    path.write_text(json.dumps({"started_at": started.isoformat(), **figures}, indent=2) + "\n")
    print(f"written to {path.relative_to(RESULTS.parents[1])}")


if __name__ == "__main__":
    main()
