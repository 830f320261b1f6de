{#- A timestamp literal from an ISO 8601 string (naive UTC from dbt-clarify); none becomes null. -#}
{% macro _timestamp_literal(value) %}
  {%- if value is none -%}
    {{ return("null") }}
  {%- endif -%}
  {{ return(dbt.cast(dbt_clarify._string_literal(value), dbt.type_timestamp()) | trim) }}
{% endmacro %}
