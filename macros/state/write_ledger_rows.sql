{#- Replace the ledger rows of these keys: a delete and an insert, run in one transaction.

    Each of `rows` maps the columns of clarify_sync_rows to values (model_id aside), and `known`
    to whether the ledger may hold its key already. Only those keys are deleted (a delete scans
    the ledger; a first sync's keys are new), and with none, the statements are the insert
    alone. Deleting every earlier row of a key also heals the duplicates two concurrent runs
    can leave. -#}
{% macro write_ledger_rows(schema, model_id, rows) %}
  {{ return(adapter.dispatch('write_ledger_rows', 'dbt_clarify')(schema, model_id, rows)) }}
{% endmacro %}

{% macro default__write_ledger_rows(schema, model_id, rows) %}
  {#- Resolved once: a dispatch per value costs more than the rest of the statement. -#}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set timestamp = dbt.type_timestamp() -%}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_sync_rows') -%}
  {%- set model = lit(model_id) -%}
  {%- set keys = [] -%}
  {%- for row in rows if row.known -%}
    {%- do keys.append(row.row_key) -%}
  {%- endfor -%}
  {%- set delete -%}
    delete from {{ table }}
    where model_id = {{ model }} and row_key in {{ dbt_clarify._in_list(keys) }}
  {%- endset -%}
  {%- set insert -%}
    insert into {{ table }} (
        model_id, row_key, status, row_hash, clarify_id, reason, field, schema_hash, run_id,
        attempts, status_since, last_attempt_at
    )
    values
    {%- for row in rows %}
        ({{ model }}, {{ lit(row.row_key) }}, {{ lit(row.status) }}, {{ lit(row.row_hash) }},
         {{ lit(row.clarify_id) }}, {{ lit(row.reason) }}, {{ lit(row.field) }},
         {{ lit(row.schema_hash) }}, {{ lit(row.run_id) }}, {{ row.attempts | int }},
         cast({{ lit(row.status_since) }} as {{ timestamp }}),
         cast({{ lit(row.last_attempt_at) }} as {{ timestamp }})){{ "," if not loop.last }}
    {%- endfor %}
  {%- endset -%}
  {{ return([delete, insert] if keys else [insert]) }}
{% endmacro %}

{#- DuckDB and PostgreSQL take the rows as one JSON string literal instead: rendering a literal
    per value costs about a millisecond a row in dbt's Jinja, and DuckDB plans a long VALUES
    list at a few hundred microseconds a row; one JSON text is rendered and parsed in ~15. -#}
{% macro duckdb__write_ledger_rows(schema, model_id, rows) %}
  {{ return(dbt_clarify._write_ledger_rows_as_json(
      schema, model_id, rows, dbt_clarify._duckdb_json_rows)) }}
{% endmacro %}

{% macro postgres__write_ledger_rows(schema, model_id, rows) %}
  {{ return(dbt_clarify._write_ledger_rows_as_json(
      schema, model_id, rows, dbt_clarify._postgres_json_rows)) }}
{% endmacro %}

{#- `json_rows(json, columns)` is the warehouse's relation `r` with a text column per name in
    `columns`, one row per object of the JSON array that the string literal `json` holds. -#}
{% macro _write_ledger_rows_as_json(schema, model_id, rows, json_rows) %}
  {%- set columns = [
      'row_key', 'status', 'row_hash', 'clarify_id', 'reason', 'field', 'schema_hash', 'run_id',
      'attempts', 'status_since', 'last_attempt_at'
  ] -%}
  {%- set lit = dbt_clarify._string_literal -%}
  {%- set timestamp = dbt.type_timestamp() -%}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_sync_rows') -%}
  {%- set keys = [] -%}
  {%- for row in rows if row.known -%}
    {%- do keys.append({'row_key': row.row_key}) -%}
  {%- endfor -%}
  {%- set delete -%}
    delete from {{ table }}
    where model_id = {{ lit(model_id) }}
      and row_key in (select r.row_key from {{ json_rows(lit(tojson(keys)), ['row_key']) }})
  {%- endset -%}
  {%- set insert -%}
    insert into {{ table }} (
        model_id, row_key, status, row_hash, clarify_id, reason, field, schema_hash, run_id,
        attempts, status_since, last_attempt_at
    )
    select
        {{ lit(model_id) }}, r.row_key, r.status, r.row_hash, r.clarify_id, r.reason, r.field,
        r.schema_hash, r.run_id, cast(r.attempts as integer),
        cast(r.status_since as {{ timestamp }}), cast(r.last_attempt_at as {{ timestamp }})
    from {{ json_rows(lit(tojson(rows)), columns) }}
  {%- endset -%}
  {{ return([delete, insert] if keys else [insert]) }}
{% endmacro %}

{% macro _duckdb_json_rows(json, columns) %}
  {%- set fields = [] -%}
  {%- for column in columns -%}
    {%- do fields.append('"' ~ column ~ '": "VARCHAR"') -%}
  {%- endfor -%}
  {{ return("(select unnest(from_json(" ~ json ~ ", '[{" ~ fields | join(", ")
      ~ "}]'), recursive := true)) as r") }}
{% endmacro %}

{% macro _postgres_json_rows(json, columns) %}
  {{ return("json_to_recordset(cast(" ~ json ~ " as json)) as r("
      ~ columns | join(" text, ") ~ " text)") }}
{% endmacro %}

{#- Redshift comes after postgres in dbt's dispatch order but has no json_to_recordset. -#}
{% macro redshift__write_ledger_rows(schema, model_id, rows) %}
  {{ return(dbt_clarify.default__write_ledger_rows(schema, model_id, rows)) }}
{% endmacro %}
