{#- A model's watermark: mapping_hash, cursor_value, key_value (no row when never synced). -#}
{% macro select_watermark(schema, model_id) %}
  {{ return(adapter.dispatch('select_watermark', 'dbt_clarify')(schema, model_id)) }}
{% endmacro %}

{% macro default__select_watermark(schema, model_id) %}
  {%- set sql -%}
    select mapping_hash, cursor_value, key_value
    from {{ dbt_clarify._state_relation(schema, 'clarify_sync_state') }}
    where model_id = {{ dbt_clarify._string_literal(model_id) }}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
