"""dbt-clarify: keep the Clarify CRM in sync with a dbt project."""

__version__ = "0.1.0"
