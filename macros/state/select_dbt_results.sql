{#- For each of `model_ids`, the rows of the latest dbt invocation recorded for it:
    model_id, node_id, status, message, invocation_id, invocation_started_at. -#}
{% macro select_dbt_results(schema, model_ids) %}
  {{ return(adapter.dispatch('select_dbt_results', 'dbt_clarify')(schema, model_ids)) }}
{% endmacro %}

{% macro default__select_dbt_results(schema, model_ids) %}
  {%- set table = dbt_clarify._state_relation(schema, 'clarify_dbt_results') -%}
  {%- set sql -%}
    select
        r.model_id, r.node_id, r.status, r.message,
        r.invocation_id, r.invocation_started_at
    from {{ table }} as r
    inner join (
        select model_id, max(invocation_started_at) as latest
        from {{ table }}
        where model_id in {{ dbt_clarify._in_list(model_ids) }}
        group by model_id
    ) as l
        on r.model_id = l.model_id and r.invocation_started_at = l.latest
    order by r.model_id, r.node_id
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}
