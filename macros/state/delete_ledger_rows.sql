{#- Forget the ledger rows of these keys (their records were deleted from Clarify). -#}
{% macro delete_ledger_rows(schema, model_id, row_keys) %}
  {{ return(adapter.dispatch('delete_ledger_rows', 'dbt_clarify')(schema, model_id, row_keys)) }}
{% endmacro %}

{% macro default__delete_ledger_rows(schema, model_id, row_keys) %}
  {%- set sql -%}
    delete from {{ dbt_clarify._state_relation(schema, 'clarify_sync_rows') }}
    where model_id = {{ dbt_clarify._string_literal(model_id) }}
      and row_key in {{ dbt_clarify._in_list(row_keys) }}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
