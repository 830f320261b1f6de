"""One sync as ``dbt-clarify sync --log-format json`` runs it, with the client's pacing given.

The whole-sync benchmark starts this in a child process, so that the CPU time and peak memory
it reads back are the sync's own, start-up included. ``dbt-clarify sync`` always paces the
client at Clarify's limit; the benchmark's run with the emulator's limit lifted needs more.

    python benchmarks/sync_process.py '{"project_dir": "...", "client_rate_limit": 3000, ...}'
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SyncRequest:
    """What the benchmark asks of one sync: the fields of ``SyncOptions`` it sets."""

    project_dir: str
    vars: str
    select: str
    state_schema: str
    batch_size: int
    concurrency: int
    client_rate_limit: int
    run_result: str


def main(argv: list[str]) -> int:
    request = SyncRequest(**json.loads(argv[0]))
    from dbt_clarify.clarify import ClientOptions
    from dbt_clarify.cli.render import JsonReporter
    from dbt_clarify.engine.options import SyncOptions
    from dbt_clarify.engine.runner import run_sync
    from dbt_clarify.heap import skip_the_collection_at_exit
    from dbt_clarify.settings import ClarifySettings

    project_dir = Path(request.project_dir)
    options = SyncOptions(
        settings=ClarifySettings.from_env(),
        project_dir=project_dir,
        profiles_dir=project_dir,
        vars=request.vars,
        select=(request.select,),
        state_schema=request.state_schema,
        batch_size=request.batch_size,
        concurrency=request.concurrency,
        client=ClientOptions(rate_limit_per_minute=request.client_rate_limit),
        run_result_path=Path(request.run_result),
    )
    with JsonReporter() as reporter:
        result = run_sync(options, reporter)
    skip_the_collection_at_exit()  # as the dbt-clarify command does
    return int(result.exit_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
