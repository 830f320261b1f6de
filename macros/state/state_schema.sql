{#- The schema holding sync state: the var `dbt_clarify_state_schema` if set, else
    `<target schema>_clarify`, the default of `dbt-clarify sync --state-schema`. The on-run-end
    hook writes there and the health models read from there. -#}
{% macro state_schema() %}
  {{ return(var('dbt_clarify_state_schema', target.schema ~ '_clarify')) }}
{% endmacro %}
