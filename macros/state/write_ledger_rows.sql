{#- Replace the ledger rows of these keys: a delete and an insert, run in one transaction.

    Each of `rows` maps the columns of clarify_sync_rows to values (model_id aside). Deleting
    every earlier row of a key first also heals the duplicates two concurrent runs can leave. -#}
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
  {%- for row in rows -%}
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
  {{ return([delete, insert]) }}
{% endmacro %}
