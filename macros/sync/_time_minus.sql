{#- A date or timestamp expression `seconds` before `mark`, comparable with a `cursor_type`
    column: the start of a lookback. -#}
{% macro _time_minus(mark, cursor_type, seconds) %}
  {{ return(adapter.dispatch('_time_minus', 'dbt_clarify')(mark, cursor_type, seconds)) }}
{% endmacro %}

{% macro default___time_minus(mark, cursor_type, seconds) %}
  {%- set unit, amount = dbt_clarify._largest_unit(seconds) -%}
  {{ return(dbt.dateadd(unit, -amount, mark) | trim) }}
{% endmacro %}

{#- dbt's dateadd returns a DATETIME on BigQuery, which does not compare with a TIMESTAMP or a
    DATE; each type has its own function. A DATE goes back whole days, at least `seconds`. -#}
{% macro bigquery___time_minus(mark, cursor_type, seconds) %}
  {%- set type = cursor_type | trim | lower -%}
  {%- if type.startswith('timestamp') -%}
    {{ return("timestamp_sub(" ~ mark ~ ", interval " ~ seconds ~ " second)") }}
  {%- elif type.startswith('datetime') -%}
    {{ return("datetime_sub(" ~ mark ~ ", interval " ~ seconds ~ " second)") }}
  {%- endif -%}
  {{ return("date_sub(" ~ mark ~ ", interval " ~ ((seconds + 86399) // 86400) ~ " day)") }}
{% endmacro %}

{#- Databricks' dateadd asks a live cluster which functions it has, and Spark's turns days into
    dates; interval arithmetic keeps the type and needs no connection. -#}
{% macro spark___time_minus(mark, cursor_type, seconds) %}
  {%- set unit, amount = dbt_clarify._largest_unit(seconds) -%}
  {{ return("(" ~ mark ~ " - interval " ~ amount ~ " " ~ unit ~ ")") }}
{% endmacro %}

{#- [unit, amount]: `seconds` in the largest whole unit, so that long lookbacks fit the
    warehouse's interval type. -#}
{% macro _largest_unit(seconds) %}
  {%- for unit, size in [('day', 86400), ('hour', 3600), ('minute', 60)] -%}
    {%- if seconds % size == 0 -%}
      {{ return([unit, seconds // size]) }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(['second', seconds]) }}
{% endmacro %}
