{#- The rows of `relation` past a keyset watermark, ordered so that the watermark can advance.

    Selects `columns`, then three more: _dbt_clarify_superseded (a later selected row has the
    same key, compared trimmed and lower-cased), _dbt_clarify_cursor and _dbt_clarify_key.
    Rows are ordered by (cursor, key as text), NULL cursors first; a row is past the watermark
    when its (cursor, key) pair is greater, so rows that share one cursor value are never lost
    at a batch boundary. Watermark values arrive as text; the cursor's is cast to `cursor_type`.

    - no watermark (watermark_key none): every row, NULL cursors included
    - lookback_seconds > 0: every row with cursor >= watermark - lookback (seconds for dates and
      timestamps, units for numbers), so late rows with an older cursor are read again
    - no cursor column (cursor none): every row, ordered by key; change detection is left to the
      caller -#}
{% macro changed_rows(relation, columns, cursor, key, cursor_type=none, watermark_cursor=none,
                      watermark_key=none, lookback_seconds=0) %}
  {{ return(adapter.dispatch('changed_rows', 'dbt_clarify')(
      relation, columns, cursor, key, cursor_type, watermark_cursor, watermark_key,
      lookback_seconds)) }}
{% endmacro %}

{% macro default__changed_rows(relation, columns, cursor, key, cursor_type, watermark_cursor,
                               watermark_key, lookback_seconds) %}
  {%- set key_text = "coalesce(" ~ (dbt.cast(key, dbt.type_string()) | trim) ~ ", '')" -%}
  {%- set condition = dbt_clarify._past_watermark(
      cursor, key_text, cursor_type, watermark_cursor, watermark_key, lookback_seconds) -%}
  {%- set sql -%}
    with _dbt_clarify_candidates as (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            {{ cursor if cursor else "null" }} as _dbt_clarify_cursor,
            {{ key_text }} as _dbt_clarify_key
        from {{ relation }}
        {%- if condition %}
        where {{ condition }}
        {%- endif %}
    )
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        row_number() over (
            partition by lower(trim(_dbt_clarify_key))
            order by
                case when _dbt_clarify_cursor is null then 1 else 0 end,
                _dbt_clarify_cursor desc,
                _dbt_clarify_key desc
        ) > 1 as _dbt_clarify_superseded,
        _dbt_clarify_cursor,
        _dbt_clarify_key
    from _dbt_clarify_candidates
    order by
        case when _dbt_clarify_cursor is null then 0 else 1 end,
        _dbt_clarify_cursor,
        _dbt_clarify_key
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}


{#- The where-condition of changed_rows, or an empty string for every row. -#}
{% macro _past_watermark(cursor, key_text, cursor_type, watermark_cursor, watermark_key,
                         lookback_seconds) %}
  {%- if not cursor or watermark_key is none -%}
    {{ return("") }}
  {%- endif -%}
  {%- set key_past = key_text ~ " > " ~ dbt_clarify._string_literal(watermark_key) -%}
  {%- if watermark_cursor is none -%}
    {#- Only NULL cursors were synced so far: NULL sorts first, so any value is past it. -#}
    {{ return("(" ~ cursor ~ " is not null or (" ~ cursor ~ " is null and " ~ key_past ~ "))") }}
  {%- endif -%}
  {%- set mark = dbt_clarify._string_literal(watermark_cursor) -%}
  {%- if cursor_type -%}
    {%- set mark = dbt.cast(mark, cursor_type) | trim -%}
  {%- endif -%}
  {%- if lookback_seconds | int > 0 -%}
    {%- if cursor_type and ('date' in cursor_type | lower or 'time' in cursor_type | lower) -%}
      {%- set since = dbt.dateadd('second', -(lookback_seconds | int), mark) | trim -%}
    {%- else -%}
      {%- set since = mark ~ " - " ~ (lookback_seconds | int) -%}
    {%- endif -%}
    {{ return(cursor ~ " >= (" ~ since ~ ")") }}
  {%- endif -%}
  {{ return("(" ~ cursor ~ " > " ~ mark ~ " or (" ~ cursor ~ " = " ~ mark ~ " and " ~ key_past ~ "))") }}
{% endmacro %}
