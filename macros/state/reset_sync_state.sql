{#- Forget everything about a model, so that its next sync starts from scratch. -#}
{% macro reset_sync_state(schema, model_id) %}
  {{ return(adapter.dispatch('reset_sync_state', 'dbt_clarify')(schema, model_id)) }}
{% endmacro %}

{% macro default__reset_sync_state(schema, model_id) %}
  {%- set statements = [] -%}
  {%- for name in ['clarify_sync_state', 'clarify_sync_runs', 'clarify_sync_rows'] -%}
    {%- do statements.append(
        "delete from " ~ dbt_clarify._state_relation(schema, name)
        ~ " where model_id = " ~ dbt_clarify._string_literal(model_id)) -%}
  {%- endfor -%}
  {{ return(statements) }}
{% endmacro %}
