{#- Ledger rows of a model, ordered by key: by default its rejected and failed rows; with
    `row_keys`, those keys whatever their status (the store reads attempts and ids from them). -#}
{% macro select_row_issues(schema, model_id, row_keys=none) %}
  {{ return(adapter.dispatch('select_row_issues', 'dbt_clarify')(schema, model_id, row_keys)) }}
{% endmacro %}

{% macro default__select_row_issues(schema, model_id, row_keys) %}
  {%- set sql -%}
    select row_key, status, reason, field, attempts, status_since, clarify_id
    from {{ dbt_clarify._state_relation(schema, 'clarify_sync_rows') }}
    where model_id = {{ dbt_clarify._string_literal(model_id) }}
      {%- if row_keys is not none %}
      and row_key in {{ dbt_clarify._in_list(row_keys) }}
      {%- else %}
      and status in ('rejected', 'failed')
      {%- endif %}
    order by row_key, last_attempt_at
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
