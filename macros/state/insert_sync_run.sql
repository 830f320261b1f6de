{#- Log one model's run; `run` maps each clarify_sync_runs column to its value. -#}
{% macro insert_sync_run(schema, run) %}
  {{ return(adapter.dispatch('insert_sync_run', 'dbt_clarify')(schema, run)) }}
{% endmacro %}

{% macro default__insert_sync_run(schema, run) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set ts = dbt_clarify._timestamp_literal -%}
  {%- set counts = ['rows_read', 'created', 'updated', 'unchanged', 'rejected', 'failed', 'requests'] -%}
  {%- set sql -%}
    insert into {{ dbt_clarify._state_relation(schema, 'clarify_sync_runs') }} (
        run_id, model_id, started_at, finished_at, status,
        {{ counts | join(', ') }},
        version
    )
    values (
        {{ lit(run.run_id) }},
        {{ lit(run.model_id) }},
        {{ ts(run.started_at) }},
        {{ ts(run.finished_at) }},
        {{ lit(run.status) }},
        {%- for name in counts %}
        {{ run[name] | int }},
        {%- endfor %}
        {{ lit(run.version) }}
    )
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
