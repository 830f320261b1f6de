{#- Insert rows into clarify_dbt_results; each of `rows` maps its columns to values. -#}
{% macro insert_dbt_results(schema, rows) %}
  {{ return(adapter.dispatch('insert_dbt_results', 'dbt_clarify')(schema, rows)) }}
{% endmacro %}

{% macro default__insert_dbt_results(schema, rows) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set ts = dbt_clarify._timestamp_literal -%}
  {%- set sql -%}
    insert into {{ dbt_clarify._state_relation(schema, 'clarify_dbt_results') }} (
        invocation_id, invocation_started_at, recorded_at, model_id, node_id, resource_type,
        status, failures, message
    )
    values
    {%- for row in rows %}
        ({{ lit(row.invocation_id) }}, {{ ts(row.invocation_started_at) }},
         {{ ts(row.recorded_at) }}, {{ lit(row.model_id) }}, {{ lit(row.node_id) }},
         {{ lit(row.resource_type) }}, {{ lit(row.status) }},
         {{ "null" if row.failures is none else row.failures | int }},
         {{ lit(row.message) }}){{ "," if not loop.last }}
    {%- endfor %}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
