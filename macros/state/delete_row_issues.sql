{#- Forget the rejected or failed entries of these row keys (they synced, or are re-recorded). -#}
{% macro delete_row_issues(schema, model_id, row_keys) %}
  {{ return(adapter.dispatch('delete_row_issues', 'dbt_clarify')(schema, model_id, row_keys)) }}
{% endmacro %}

{% macro default__delete_row_issues(schema, model_id, row_keys) %}
  {%- set sql -%}
    delete from {{ dbt_clarify._state_relation(schema, 'clarify_sync_rows') }}
    where model_id = {{ dbt_clarify._string_literal(model_id) }}
      and status in ('rejected', 'failed')
      and row_key in {{ dbt_clarify._in_list(row_keys) }}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
