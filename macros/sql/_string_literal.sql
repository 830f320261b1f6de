{#- A SQL string literal for any value (none becomes null).

    Standard SQL escapes a quote by doubling it. Warehouses that read backslash escapes in
    literals (Snowflake, BigQuery, Redshift, Spark and Databricks) need backslashes escaped
    too, and BigQuery refuses raw newlines inside quotes. A macro that quotes several values
    resolves this one once, `adapter.dispatch('_string_literal', 'dbt_clarify')`, and calls that:
    a dispatch costs more than the quoting, and a checkpoint's statements quote about twenty. -#}
{% macro _string_literal(value) %}
  {{ return(adapter.dispatch('_string_literal', 'dbt_clarify')(value)) }}
{% endmacro %}

{% macro default___string_literal(value) %}
  {%- if value is none -%}
    {{ return("null") }}
  {%- endif -%}
  {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}

{% macro snowflake___string_literal(value) %}
  {{ return(dbt_clarify._backslash_escaped_literal(value)) }}
{% endmacro %}

{% macro bigquery___string_literal(value) %}
  {{ return(dbt_clarify._backslash_escaped_literal(value)) }}
{% endmacro %}

{% macro spark___string_literal(value) %}
  {{ return(dbt_clarify._backslash_escaped_literal(value)) }}
{% endmacro %}

{% macro _backslash_escaped_literal(value) %}
  {%- if value is none -%}
    {{ return("null") }}
  {%- endif -%}
  {%- set escaped = value | string
      | replace("\\", "\\\\") | replace("'", "\\'") | replace("\n", "\\n") | replace("\r", "\\r") -%}
  {{ return("'" ~ escaped ~ "'") }}
{% endmacro %}

{#- Redshift reads backslash escapes in ordinary literals, as PostgreSQL did before 9.1. -#}
{% macro redshift___string_literal(value) %}
  {{ return(dbt_clarify._backslash_escaped_literal(value)) }}
{% endmacro %}
