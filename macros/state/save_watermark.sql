{#- Move a model's watermark forward: never back, so that two syncs of one model at once leave
    the further of their two watermarks. A changed mapping_hash replaces the watermark outright
    (the model resyncs). Two statements, run in one transaction by dbt-clarify: the first
    creates the row when missing, the second moves it when the new (cursor, key) is past it. -#}
{% macro save_watermark(schema, model_id, mapping_hash, cursor_value, key_value, updated_at,
                        cursor_type=none) %}
  {{ return(adapter.dispatch('save_watermark', 'dbt_clarify')(
      schema, model_id, mapping_hash, cursor_value, key_value, updated_at, cursor_type)) }}
{% endmacro %}

{% macro default__save_watermark(schema, model_id, mapping_hash, cursor_value, key_value,
                                 updated_at, cursor_type) %}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_sync_state') -%}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set past = dbt_clarify._watermark_moves_past(
      'cursor_value', 'key_value', cursor_value, key_value, cursor_type) -%}
  {%- set insert -%}
    insert into {{ table }} (model_id, mapping_hash, cursor_value, key_value, updated_at)
    select
        {{ lit(model_id) }},
        {{ lit(mapping_hash) }},
        {{ lit(cursor_value) }},
        {{ lit(key_value) }},
        {{ dbt_clarify._timestamp_literal(updated_at) }}
    where not exists (select 1 from {{ table }} where model_id = {{ lit(model_id) }})
  {%- endset -%}
  {%- set update -%}
    update {{ table }}
    set mapping_hash = {{ lit(mapping_hash) }},
        cursor_value = {{ lit(cursor_value) }},
        key_value = {{ lit(key_value) }},
        updated_at = {{ dbt_clarify._timestamp_literal(updated_at) }}
    where model_id = {{ lit(model_id) }}
      and (mapping_hash <> {{ lit(mapping_hash) }} or {{ past }})
  {%- endset -%}
  {{ return([insert, update]) }}
{% endmacro %}

{#- Snowflake, BigQuery and Databricks: one MERGE. BigQuery takes no WHERE without a FROM, and
    neither it nor Databricks runs two statements in one transaction. -#}
{% macro snowflake__save_watermark(schema, model_id, mapping_hash, cursor_value, key_value,
                                   updated_at, cursor_type) %}
  {{ return(dbt_clarify._merge_watermark(
      schema, model_id, mapping_hash, cursor_value, key_value, updated_at, cursor_type)) }}
{% endmacro %}

{% macro bigquery__save_watermark(schema, model_id, mapping_hash, cursor_value, key_value,
                                  updated_at, cursor_type) %}
  {{ return(dbt_clarify._merge_watermark(
      schema, model_id, mapping_hash, cursor_value, key_value, updated_at, cursor_type)) }}
{% endmacro %}

{% macro spark__save_watermark(schema, model_id, mapping_hash, cursor_value, key_value,
                               updated_at, cursor_type) %}
  {{ return(dbt_clarify._merge_watermark(
      schema, model_id, mapping_hash, cursor_value, key_value, updated_at, cursor_type)) }}
{% endmacro %}

{% macro _merge_watermark(schema, model_id, mapping_hash, cursor_value, key_value, updated_at,
                          cursor_type) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set text = dbt_clarify._type_text() -%}
  {%- set past = dbt_clarify._watermark_moves_past(
      'saved.cursor_value', 'saved.key_value', cursor_value, key_value, cursor_type) -%}
  {%- set sql -%}
    merge into {{ dbt_clarify._state_relation(schema, 'clarify_sync_state') }} saved
    using (
        select
            {{ dbt.cast(lit(model_id), text) | trim }} as model_id,
            {{ dbt.cast(lit(mapping_hash), text) | trim }} as mapping_hash,
            {{ dbt.cast(lit(cursor_value), text) | trim }} as cursor_value,
            {{ dbt.cast(lit(key_value), text) | trim }} as key_value,
            {{ dbt_clarify._timestamp_literal(updated_at) }} as updated_at
    ) incoming
    on saved.model_id = incoming.model_id
    when matched and (saved.mapping_hash <> incoming.mapping_hash or {{ past }}) then update set
        mapping_hash = incoming.mapping_hash,
        cursor_value = incoming.cursor_value,
        key_value = incoming.key_value,
        updated_at = incoming.updated_at
    when not matched then insert (model_id, mapping_hash, cursor_value, key_value, updated_at)
        values (incoming.model_id, incoming.mapping_hash, incoming.cursor_value,
                incoming.key_value, incoming.updated_at)
  {%- endset -%}
  {{ return([sql]) }}
{% endmacro %}

{#- The condition that (cursor_value, key_value) comes after the saved (cursor, key) columns;
    cursors compare as `cursor_type` values when given, else as text. -#}
{% macro _watermark_moves_past(saved_cursor, saved_key, cursor_value, key_value, cursor_type) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- if cursor_value is none -%}
    {#- NULL cursors sort first: past the stored mark only while that is NULL too. -#}
    {{ return("(" ~ saved_cursor ~ " is null and " ~ saved_key ~ " < " ~ lit(key_value) ~ ")") }}
  {%- endif -%}
  {%- set new_cursor = lit(cursor_value) -%}
  {%- set old_cursor = saved_cursor -%}
  {%- if cursor_type -%}
    {%- set new_cursor = dbt.cast(new_cursor, cursor_type) | trim -%}
    {%- set old_cursor = dbt.cast(old_cursor, cursor_type) | trim -%}
  {%- endif -%}
  {{ return("(" ~ saved_cursor ~ " is null or " ~ new_cursor ~ " > " ~ old_cursor
      ~ " or (" ~ new_cursor ~ " = " ~ old_cursor ~ " and " ~ saved_key ~ " < "
      ~ lit(key_value) ~ "))") }}
{% endmacro %}
