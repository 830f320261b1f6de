{#- Records this tool synced for keys that are no longer in the model: (row_key, clarify_id).

    A Clarify id still held by a key that is in the model is never listed, so two spellings of
    one email never cost the record they share. -#}
{% macro select_orphans(schema, model_id, relation, key) %}
  {{ return(adapter.dispatch('select_orphans', 'dbt_clarify')(schema, model_id, relation, key)) }}
{% endmacro %}

{% macro default__select_orphans(schema, model_id, relation, key) %}
  {%- set ledger = dbt_clarify._state_relation(schema, 'clarify_sync_rows') -%}
  {%- set model = dbt_clarify._string_literal(model_id) -%}
  {%- set sql -%}
    with _dbt_clarify_present as (
        select distinct {{ dbt_clarify._key_text(key) }} as row_key from {{ relation }}
    ),
    _dbt_clarify_kept_ids as (
        select l.clarify_id
        from {{ ledger }} l
        inner join _dbt_clarify_present p on p.row_key = l.row_key
        where l.model_id = {{ model }} and l.clarify_id is not null
    )
    select l.row_key, l.clarify_id
    from {{ ledger }} l
    left join _dbt_clarify_present p on p.row_key = l.row_key
    where l.model_id = {{ model }}
      and p.row_key is null
      and l.clarify_id is not null
      and l.clarify_id not in (select clarify_id from _dbt_clarify_kept_ids)
    order by l.row_key
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
