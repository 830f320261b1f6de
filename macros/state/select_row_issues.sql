{#- A model's rejected or failed rows, optionally only these row keys, ordered by key. -#}
{% macro select_row_issues(schema, model_id, row_keys=none) %}
  {{ return(adapter.dispatch('select_row_issues', 'dbt_clarify')(schema, model_id, row_keys)) }}
{% endmacro %}

{% macro default__select_row_issues(schema, model_id, row_keys) %}
  {%- set sql -%}
    select row_key, status, reason, field, attempts, first_seen_at
    from {{ dbt_clarify._state_relation(schema, 'clarify_sync_rows') }}
    where model_id = {{ dbt_clarify._string_literal(model_id) }}
      and status in ('rejected', 'failed')
      {%- if row_keys is not none %}
      and row_key in {{ dbt_clarify._in_list(row_keys) }}
      {%- endif %}
    order by row_key
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
