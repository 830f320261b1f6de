"""``dbt-clarify emulator``: serve a local Clarify for demos, tests and CI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dbt_clarify.emulator.config import FAULT_KINDS, EmulatorConfig
from dbt_clarify.settings import ENV_API_KEY

if TYPE_CHECKING:
    from dbt_clarify.emulator.runner import Emulator


def _fault_list(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in value.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown:
        raise click.BadParameter(
            f"unknown {', '.join(unknown)}; choose from {','.join(FAULT_KINDS)}"
        )
    return kinds


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option("--workspace", default="acme", show_default=True, help="Workspace slug to serve.")
@click.option(
    "--api-key",
    envvar=ENV_API_KEY,
    default="emulator-key",
    show_default=False,
    show_envvar=True,
    help="Key clients must send (default: $CLARIFY_API_KEY, else 'emulator-key').",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Added to every API response.",
)
@click.option(
    "--rate-limit",
    default=3000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Requests per minute per endpoint; 0 for none.",
)
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of API requests that get a fault.",
)
@click.option(
    "--faults",
    default=",".join(FAULT_KINDS),
    show_default=True,
    callback=_fault_list,
    help="Comma-separated faults to choose from.",
)
@click.option(
    "--slow-seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long a 'slow' fault stalls.",
)
@click.option("--seed", type=int, default=None, help="Makes the choice of faults reproducible.")
@click.option(
    "--schema-delay",
    default=0.3,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds before a new custom field shows up.",
)
@click.option(
    "--bulk-batch-cap",
    default=100,
    show_default=True,
    type=click.IntRange(min=0),
    help="Most records per bulk request (413 above); 0 for no cap.",
)
@click.option(
    "--error-status-as-string/--error-status-as-number",
    default=True,
    show_default=True,
    help='errors[].status as "422" or 422.',
)
@click.option(
    "--retry-after-as-date/--retry-after-as-seconds",
    default=False,
    show_default=True,
    help="Retry-After as an HTTP date or in seconds.",
)
@click.option(
    "--collection-meta-on-match-on/--no-collection-meta-on-match-on",
    default=True,
    show_default=True,
    help="Honour meta collection strategies on match_on upserts.",
)
@click.option(
    "--legacy-person-fields/--no-legacy-person-fields",
    default=False,
    show_default=True,
    help="Person with first_name/last_name/title at top level.",
)
@click.option(
    "--links-next-http/--links-next-https",
    default=True,
    show_default=True,
    help="Pagination links with http:// as the live API was seen to send.",
)
def emulator(
    host: str,
    port: int,
    workspace: str,
    api_key: str,
    latency_ms: float,
    rate_limit: int,
    fault_rate: float,
    faults: tuple[str, ...],
    slow_seconds: float,
    seed: int | None,
    schema_delay: float,
    bulk_batch_cap: int,
    error_status_as_string: bool,
    retry_after_as_date: bool,
    collection_meta_on_match_on: bool,
    legacy_person_fields: bool,
    links_next_http: bool,
) -> None:
    """Run a local Clarify emulator until Ctrl-C.

    Point a sync at it with CLARIFY_API_URL set to the printed URL and CLARIFY_WORKSPACE to the
    workspace. Inspect it under /_emulator/ (records/<object>, stats, reset, config).
    """
    try:
        config = EmulatorConfig(
            workspace=workspace,
            api_key=api_key,
            latency_ms=latency_ms,
            rate_limit_per_minute=rate_limit or None,
            fault_rate=fault_rate,
            faults=faults,
            slow_seconds=slow_seconds,
            seed=seed,
            schema_delay_s=schema_delay,
            bulk_batch_cap=bulk_batch_cap or None,
            error_status_as_string=error_status_as_string,
            retry_after_as_date=retry_after_as_date,
            collection_meta_on_match_on=collection_meta_on_match_on,
            legacy_person_fields=legacy_person_fields,
            links_next_http=links_next_http,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    def announce(running: Emulator) -> None:
        click.echo(
            f"Clarify emulator at {running.url} (workspace {workspace}); Ctrl-C stops it",
        )

    from dbt_clarify.emulator.runner import serve

    try:
        serve(config, host, port, on_ready=announce)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
