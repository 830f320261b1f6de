{#- A relation with one column `i` holding 0 .. n-1, for generated load-test models. -#}
{% macro numbers(n) %}
  {{ return(adapter.dispatch('numbers')(n)) }}
{% endmacro %}

{% macro default__numbers(n) %}
  select i from range({{ n }}) as t(i)
{% endmacro %}

{% macro postgres__numbers(n) %}
  select i from generate_series(0, {{ n }} - 1) as t(i)
{% endmacro %}
