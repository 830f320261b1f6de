{#- Insert rows into clarify_sync_rows; each of `rows` maps the columns below to values. -#}
{% macro insert_row_issues(schema, model_id, rows) %}
  {{ return(adapter.dispatch('insert_row_issues', 'dbt_clarify')(schema, model_id, rows)) }}
{% endmacro %}

{% macro default__insert_row_issues(schema, model_id, rows) %}
  {#- Resolved once: a dispatch per value costs more than the rest of the statement. -#}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set timestamp = dbt.type_timestamp() -%}
  {%- set model = lit(model_id) -%}
  {%- set sql -%}
    insert into {{ dbt_clarify._state_relation(schema, 'clarify_sync_rows') }} (
        model_id, row_key, status, reason, field, run_id, attempts, first_seen_at, last_attempt_at
    )
    values
    {%- for row in rows %}
        ({{ model }}, {{ lit(row.row_key) }}, {{ lit(row.status) }}, {{ lit(row.reason) }},
         {{ lit(row.field) }}, {{ lit(row.run_id) }}, {{ row.attempts | int }},
         cast({{ lit(row.first_seen_at) }} as {{ timestamp }}),
         cast({{ lit(row.last_attempt_at) }} as {{ timestamp }})){{ "," if not loop.last }}
    {%- endfor %}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
