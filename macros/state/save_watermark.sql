{#- Replace a model's watermark: two statements, run in one transaction by dbt-clarify. -#}
{% macro save_watermark(schema, model_id, mapping_hash, cursor_value, key_value, updated_at) %}
  {{ return(adapter.dispatch('save_watermark', 'dbt_clarify')(
      schema, model_id, mapping_hash, cursor_value, key_value, updated_at)) }}
{% endmacro %}

{% macro default__save_watermark(schema, model_id, mapping_hash, cursor_value, key_value, updated_at) %}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_sync_state') -%}
  {%- set lit = dbt_clarify._string_literal -%}
  {%- set delete -%}
    delete from {{ table }} where model_id = {{ lit(model_id) }}
  {%- endset -%}
  {%- set insert -%}
    insert into {{ table }} (model_id, mapping_hash, cursor_value, key_value, updated_at)
    values (
        {{ lit(model_id) }},
        {{ lit(mapping_hash) }},
        {{ lit(cursor_value) }},
        {{ lit(key_value) }},
        {{ dbt_clarify._timestamp_literal(updated_at) }}
    )
  {%- endset -%}
  {{ return([delete, insert]) }}
{% endmacro %}
