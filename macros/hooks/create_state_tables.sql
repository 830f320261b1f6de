{#- A hook that creates the state schema and tables when missing, so that the health models
    build (empty) before the first sync. Runs outside the model's transaction. -#}
{% macro create_state_tables(schema=none) %}
  {%- if not execute -%}
    {{ return('') }}
  {%- endif -%}
  {%- set schema = schema or dbt_clarify.state_schema() -%}
  {%- set statements = dbt_clarify.state_tables_ddl(schema) + dbt_clarify.dbt_results_ddl(schema)[1:] -%}
  {%- do dbt_clarify._run_in_transaction(statements) -%}
  {{ return('') }}
{% endmacro %}
