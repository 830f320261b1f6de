{#- Forget recorded dbt results from invocations that started before `before` (naive UTC text). -#}
{% macro delete_dbt_results(schema, before) %}
  {{ return(adapter.dispatch('delete_dbt_results', 'dbt_clarify')(schema, before)) }}
{% endmacro %}

{% macro default__delete_dbt_results(schema, before) %}
  {%- set sql -%}
    delete from {{ dbt_clarify._state_relation(schema, 'clarify_dbt_results') }}
    where invocation_started_at < {{ dbt_clarify._timestamp_literal(before) }}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
