{#- `(literal, literal, ...)` for an IN condition; `values` must not be empty. -#}
{% macro _in_list(values) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
  {%- set literals = [] -%}
  {%- for value in values -%}
    {%- do literals.append(lit(value)) -%}
  {%- endfor -%}
  {{ return("(" ~ literals | join(", ") ~ ")") }}
{% endmacro %}
