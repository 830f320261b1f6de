{#- A model's latest runs, newest first. -#}
{% macro select_sync_runs(schema, model_id, limit) %}
  {{ return(adapter.dispatch('select_sync_runs', 'dbt_clarify')(schema, model_id, limit)) }}
{% endmacro %}

{% macro default__select_sync_runs(schema, model_id, limit) %}
  {%- set sql -%}
    select
        run_id, model_id, started_at, finished_at, status,
        rows_read, created, updated, unchanged, rejected, failed, requests, version
    from {{ dbt_clarify._state_relation(schema, 'clarify_sync_runs') }}
    where model_id = {{ dbt_clarify._string_literal(model_id) }}
    order by started_at desc, run_id desc
    limit {{ limit | int }}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
