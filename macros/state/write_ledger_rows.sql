{#- Replace the ledger rows of these keys: a delete and an insert, run in one transaction.

    `columns` maps each column of clarify_sync_rows (model_id aside) to its values, one per row,
    all in the same row order: the sync hands them over column by column, which costs it and the
    warehouse less than a record per row. `known_keys` are the keys the ledger may hold already:
    only those are deleted (a delete scans the ledger; a first sync's keys are new), and with
    none, the statements are the insert alone. Deleting every earlier row of a key also heals
    the duplicates two concurrent runs can leave. `uniform` maps the columns whose values are
    all the same to that value: a warehouse may write those as one literal each. -#}
{% macro write_ledger_rows(schema, model_id, columns, known_keys, uniform={}) %}
  {{ return(adapter.dispatch('write_ledger_rows', 'dbt_clarify')(
      schema, model_id, columns, known_keys, uniform)) }}
{% endmacro %}

{% macro _ledger_insert_head(table) %}
  {{ return("insert into " ~ table ~ " (
        model_id, row_key, status, row_hash, clarify_id, reason, field, schema_hash, run_id,
        attempts, status_since, last_attempt_at
    )") }}
{% endmacro %}

{% macro default__write_ledger_rows(schema, model_id, columns, known_keys, uniform={}) %}
  {#- Resolved once: a dispatch per value costs more than the rest of the statement. -#}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set timestamp = dbt.type_timestamp() -%}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_sync_rows') -%}
  {%- set model = lit(model_id) -%}
  {%- set c = columns -%}
  {%- set delete -%}
    delete from {{ table }}
    where model_id = {{ model }} and row_key in {{ dbt_clarify._in_list(known_keys) }}
  {%- endset -%}
  {%- set insert -%}
    {{ dbt_clarify._ledger_insert_head(table) }}
    values
    {%- for row_key, status, row_hash, clarify_id, reason, field, schema_hash, run_id, attempts,
            status_since, last_attempt_at in zip_strict(
        c.row_key, c.status, c.row_hash, c.clarify_id, c.reason, c.field, c.schema_hash,
        c.run_id, c.attempts, c.status_since, c.last_attempt_at) %}
        ({{ model }}, {{ lit(row_key) }}, {{ lit(status) }}, {{ lit(row_hash) }},
         {{ lit(clarify_id) }}, {{ lit(reason) }}, {{ lit(field) }},
         {{ lit(schema_hash) }}, {{ lit(run_id) }}, {{ attempts | int }},
         cast({{ lit(status_since) }} as {{ timestamp }}),
         cast({{ lit(last_attempt_at) }} as {{ timestamp }})){{ "," if not loop.last }}
    {%- endfor %}
  {%- endset -%}
  {{ return([delete, insert] if known_keys else [insert]) }}
{% endmacro %}

{#- DuckDB and PostgreSQL take each column as one JSON string literal instead: rendering a
    literal per value costs about a millisecond a row in dbt's Jinja, and DuckDB plans a long
    VALUES list at a few hundred microseconds a row. A JSON array per column costs a quarter
    less than a JSON object per row, and a uniform column as one literal less again
    (benchmarks/ledger_write.py). -#}
{% macro duckdb__write_ledger_rows(schema, model_id, columns, known_keys, uniform={}) %}
  {{ return(dbt_clarify._write_ledger_columns_as_json(
      schema, model_id, columns, known_keys, uniform, dbt_clarify._duckdb_json_elements)) }}
{% endmacro %}

{% macro postgres__write_ledger_rows(schema, model_id, columns, known_keys, uniform={}) %}
  {{ return(dbt_clarify._write_ledger_columns_as_json(
      schema, model_id, columns, known_keys, uniform, dbt_clarify._postgres_json_elements)) }}
{% endmacro %}

{#- `json_elements(json)` is a set-returning expression: the text of each element of the JSON
    array that the string literal `json` holds, null for a JSON null. Several of them in one
    select list run side by side, so element i of every column lands in row i; a uniform
    column's one literal is repeated on every row. -#}
{% macro _write_ledger_columns_as_json(
    schema, model_id, columns, known_keys, uniform, json_elements) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set timestamp = dbt.type_timestamp() -%}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_sync_rows') -%}
  {%- set selected = [] -%}
  {%- for name, values in columns.items() -%}
    {%- if name in uniform -%}
      {%- do selected.append(lit(uniform[name]) ~ " as " ~ name) -%}
    {%- else -%}
      {%- do selected.append(json_elements(lit(tojson(values))) ~ " as " ~ name) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set delete -%}
    delete from {{ table }}
    where model_id = {{ lit(model_id) }}
      and row_key in (select {{ json_elements(lit(tojson(known_keys))) }})
  {%- endset -%}
  {%- set insert -%}
    {{ dbt_clarify._ledger_insert_head(table) }}
    select
        {{ lit(model_id) }}, r.row_key, r.status, r.row_hash, r.clarify_id, r.reason, r.field,
        r.schema_hash, r.run_id, cast(r.attempts as integer),
        cast(r.status_since as {{ timestamp }}), cast(r.last_attempt_at as {{ timestamp }})
    from (select {{ selected | join(", ") }}) as r
  {%- endset -%}
  {{ return([delete, insert] if known_keys else [insert]) }}
{% endmacro %}

{% macro _duckdb_json_elements(json) %}
  {{ return("unnest(cast(cast(" ~ json ~ " as json) as varchar[]))") }}
{% endmacro %}

{% macro _postgres_json_elements(json) %}
  {{ return("json_array_elements_text(cast(" ~ json ~ " as json))") }}
{% endmacro %}

{#- Redshift comes after postgres in dbt's dispatch order but has no json_array_elements_text. -#}
{% macro redshift__write_ledger_rows(schema, model_id, columns, known_keys, uniform={}) %}
  {{ return(dbt_clarify.default__write_ledger_rows(schema, model_id, columns, known_keys)) }}
{% endmacro %}
