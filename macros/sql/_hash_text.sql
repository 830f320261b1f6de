{#- The MD5 of a text expression, as 32 hex digits. -#}
{% macro _hash_text(text) %}
  {{ return(adapter.dispatch('_hash_text', 'dbt_clarify')(text)) }}
{% endmacro %}

{% macro default___hash_text(text) %}
  {{ return(dbt.hash(text) | trim) }}
{% endmacro %}

{#- dbt's hash casts its argument to TEXT, which Redshift reads as VARCHAR(256): text past that
    would not count. The argument is text already. -#}
{% macro redshift___hash_text(text) %}
  {{ return("md5(" ~ text ~ ")") }}
{% endmacro %}
