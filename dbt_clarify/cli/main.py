"""The ``dbt-clarify`` command: a thin layer over the library that parses options and renders.

Nothing heavy is imported here: dbt and the adapters load inside the commands that need them,
so ``dbt-clarify --help`` answers at once.
"""

from __future__ import annotations

import sys
import traceback

import click

from dbt_clarify import __version__
from dbt_clarify.cli.console import print_error, stderr
from dbt_clarify.cli.emulator import emulator
from dbt_clarify.cli.fields import fields
from dbt_clarify.cli.options import debug_enabled
from dbt_clarify.cli.plan import plan
from dbt_clarify.cli.reset import reset
from dbt_clarify.cli.status import status
from dbt_clarify.cli.sync import sync
from dbt_clarify.cli.validate import validate
from dbt_clarify.errors import DbtClarifyError, ExitCode
from dbt_clarify.heap import skip_the_collection_at_exit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dbt-clarify")
def cli() -> None:
    """Sync dbt models into the Clarify CRM."""


cli.add_command(sync)
cli.add_command(plan)
cli.add_command(validate)
cli.add_command(status)
cli.add_command(reset)
cli.add_command(fields)
cli.add_command(emulator)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its code; the process's last garbage collection is skipped."""
    code = run(argv)
    skip_the_collection_at_exit()
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI, turning errors into one line and an exit code (a traceback with --debug)."""
    try:
        code = cli.main(args=argv, prog_name="dbt-clarify", standalone_mode=False)
    except click.exceptions.Abort:
        stderr.print("Aborted.")
        return 130
    except click.ClickException as error:
        error.show()
        return ExitCode.CONFIG
    except DbtClarifyError as error:
        if debug_enabled():
            traceback.print_exc()
        print_error(error)
        return error.exit_code
    except Exception as error:
        if debug_enabled():
            traceback.print_exc()
        stderr.print(f"[bold red]Internal error:[/] {type(error).__name__}: {error}", markup=True)
        stderr.print("[dim]hint:[/] run again with --debug and report the output", markup=True)
        return ExitCode.INTERNAL
    return code if isinstance(code, int) else ExitCode.SUCCESS
