{#- The statements that create the state schema and clarify_dbt_results when missing.

    clarify_dbt_results  per sync model, the outcome of each dbt invocation that built or tested
                         it: the model's own result and those of its tests (record_dbt_results
                         writes it; a sync skips a model whose latest invocation failed) -#}
{% macro dbt_results_ddl(schema) %}
  {{ return(adapter.dispatch('dbt_results_ddl', 'dbt_clarify')(schema)) }}
{% endmacro %}

{% macro default__dbt_results_ddl(schema) %}
  {%- set text = dbt_clarify._type_text() -%}
  {%- set ts = dbt.type_timestamp() -%}
  {%- set table -%}
    create table if not exists {{ dbt_clarify._state_relation(schema, 'clarify_dbt_results') }} (
        invocation_id {{ text }} not null,
        invocation_started_at {{ ts }} not null,
        recorded_at {{ ts }} not null,
        model_id {{ text }} not null,
        node_id {{ text }} not null,
        resource_type {{ text }} not null,
        status {{ text }} not null,
        failures {{ dbt.type_bigint() }},
        message {{ text }}
    )
  {%- endset -%}
  {{ return([dbt_clarify._create_schema_sql(schema), table]) }}
{% endmacro %}
