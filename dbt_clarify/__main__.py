"""``python -m dbt_clarify`` runs the CLI."""

from dbt_clarify.cli.main import main

main()
