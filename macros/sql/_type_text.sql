{#- The type of text of any length, for state columns and for casts to text (keys, hashes). -#}
{% macro _type_text() %}
  {{ return(adapter.dispatch('_type_text', 'dbt_clarify')()) }}
{% endmacro %}

{% macro default___type_text() %}
  {{ return(dbt.type_string()) }}
{% endmacro %}

{#- Redshift reads TEXT as VARCHAR(256): longer reasons would fail to insert, and a row's text
    for its hash would be cut short, hiding changes past it. -#}
{% macro redshift___type_text() %}
  {{ return("varchar(max)") }}
{% endmacro %}
