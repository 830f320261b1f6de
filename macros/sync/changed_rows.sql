{#- The rows of `relation` to send: past a keyset watermark, and changed since the ledger saw them.

    Selects `columns`, then six more: _dbt_clarify_superseded (a later selected row has the
    same key, compared trimmed and lower-cased), _dbt_clarify_cursor, _dbt_clarify_key,
    _dbt_clarify_hash (the row's content hash, see _row_hash), _dbt_clarify_relink (the row
    is unchanged but was synced without its company, which may exist by now) and
    _dbt_clarify_known (the ledger may hold the key: it had a row for it, or another row of the
    model shares it, or no ledger was read; only then must a ledger write look for it). Rows are ordered by (cursor, key
    as text), NULL cursors first; a row is past the watermark when its (cursor, key) pair is
    greater, so rows that share one cursor value are never lost at a batch boundary. Watermark
    values arrive as text; the cursor's is cast to `cursor_type`.

    - no watermark (watermark_key none): every row, NULL cursors included
    - lookback_seconds > 0: every row with cursor >= watermark - lookback (seconds for dates and
      timestamps, units for numbers), so late rows with an older cursor are read again
    - no cursor column (cursor none): every row, ordered by key

    The hash covers `hash_columns` (default: `columns`) and `salt`. With `ledger` (a mapping:
    schema, model_id, schema_hash, retry_limit) the per-row ledger filters the rows inside the warehouse: a row is kept when the ledger has
    no synced entry for its key with the same hash, when it failed, or when it was rejected and
    may be tried again (fewer than retry_limit attempts, or Clarify's schema changed since), or
    when it was synced unlinked (its company was not in Clarify yet).
    Keys the ledger holds as failed or rejected are read whatever their cursor.

    With `count`, the statement counts rows instead: 'candidates' the rows past the watermark
    (or of troubled keys) before the ledger filters them, which needs neither the hash nor the
    joins; 'unchanged' the candidates the ledger filters out. With `ordered` false the rows come
    unordered, for a reader that sorts them itself by _changed_rows_order. -#}
{% macro changed_rows(relation, columns, cursor, key, cursor_type=none, watermark_cursor=none,
                      watermark_key=none, lookback_seconds=0, hash_columns=none, salt='',
                      ledger=none, count=none, ordered=true) %}
  {{ return(adapter.dispatch('changed_rows', 'dbt_clarify')(
      relation, columns, cursor, key, cursor_type, watermark_cursor, watermark_key,
      lookback_seconds, hash_columns, salt, ledger, count, ordered)) }}
{% endmacro %}

{% macro default__changed_rows(relation, columns, cursor, key, cursor_type, watermark_cursor,
                               watermark_key, lookback_seconds, hash_columns, salt, ledger,
                               count, ordered=true) %}
  {%- set key_text = dbt_clarify._key_text(key) -%}
  {%- set condition = dbt_clarify._past_watermark(
      cursor, key_text, cursor_type, watermark_cursor, watermark_key, lookback_seconds) -%}
  {%- if ledger -%}
    {%- set lit = adapter.dispatch('_string_literal', 'dbt_clarify') -%}
    {%- set retry = "(l.status = 'failed' or (l.status = 'rejected' and (l.attempts < "
        ~ (ledger.retry_limit | int) ~ " or coalesce(l.schema_hash, '') <> "
        ~ lit(ledger.schema_hash) ~ ")))" -%}
    {%- set wanted = "(l.row_key is null or l.row_hash is null or l.row_hash <> c._dbt_clarify_hash"
        ~ " or l.status = 'unlinked' or " ~ retry ~ ")" -%}
  {%- endif -%}
  {%- set sql -%}
    with
    {%- if ledger %}
    {# A key has one ledger row, but two concurrent runs can leave two: the latest counts. The
        window runs over those keys alone, so a large ledger costs a grouping, not a sort. -#}
    _dbt_clarify_ledger_model as (
        select row_key, status, row_hash, attempts, schema_hash, last_attempt_at
        from {{ dbt_clarify._state_relation(ledger.schema, 'clarify_sync_rows') }}
        where model_id = {{ lit(ledger.model_id) }}
    ),
    _dbt_clarify_ledger_repeated as (
        select row_key from _dbt_clarify_ledger_model group by row_key having count(*) > 1
    ),
    _dbt_clarify_ledger as (
        select row_key, status, row_hash, attempts, schema_hash
        from _dbt_clarify_ledger_model
        where row_key not in (select row_key from _dbt_clarify_ledger_repeated)
        union all
        select row_key, status, row_hash, attempts, schema_hash
        from (
            select
                row_key, status, row_hash, attempts, schema_hash,
                row_number() over (partition by row_key order by last_attempt_at desc) as _rank
            from _dbt_clarify_ledger_model
            where row_key in (select row_key from _dbt_clarify_ledger_repeated)
        ) _dbt_clarify_latest
        where _rank = 1
    ),
    {%- endif %}
    _dbt_clarify_candidates as (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            {{ cursor if cursor else "null" }} as _dbt_clarify_cursor,
            {{ key_text }} as _dbt_clarify_key,
            {{ dbt_clarify._row_hash(hash_columns or columns, salt) }} as _dbt_clarify_hash
        from {{ relation }}
        {%- if condition %}
        where {{ condition }}
          {%- if ledger %}
           or {{ key_text }} in (
               select row_key from _dbt_clarify_ledger where status <> 'synced')
          {%- endif %}
        {%- endif %}
    )
    {%- if count == 'candidates' %}
    select count(*) from _dbt_clarify_candidates
    {%- else %},
    {#- Keys (trimmed, lower-cased) that more than one model row shares: only these can
        supersede, and ranking them alone keeps a large model's read a grouping, not a sort. -#}
    _dbt_clarify_repeated as (
        select lower(trim({{ key_text }})) as _norm
        from {{ relation }}
        group by lower(trim({{ key_text }}))
        having count(*) > 1
    ),
    {#- The latest row of each repeated key: a candidate that is not its key's latest is
        superseded, even when the later row itself is unchanged and so not a candidate. -#}
    _dbt_clarify_latest as (
        select _norm, _cursor, _key
        from (
            select
                lower(trim({{ key_text }})) as _norm,
                {{ cursor if cursor else "null" }} as _cursor,
                {{ key_text }} as _key,
                row_number() over (
                    partition by lower(trim({{ key_text }}))
                    order by
                        case when {{ cursor if cursor else "null" }} is null then 1 else 0 end,
                        {{ cursor if cursor else "null" }} desc,
                        {{ key_text }} desc
                ) as _rank
            from {{ relation }}
            where lower(trim({{ key_text }})) in (select _norm from _dbt_clarify_repeated)
        ) _dbt_clarify_by_key
        where _rank = 1
    ),
    _dbt_clarify_ranked as (
        select
            c.*,
            case
                when t._norm is null then false
                when t._key = c._dbt_clarify_key
                    and (t._cursor = c._dbt_clarify_cursor
                         or (t._cursor is null and c._dbt_clarify_cursor is null))
                then false
                else true
            end as _dbt_clarify_superseded,
            case when t._norm is null then false else true end as _dbt_clarify_shared
        from _dbt_clarify_candidates c
        left join _dbt_clarify_latest t on t._norm = lower(trim(c._dbt_clarify_key))
    )
    {%- if count == 'unchanged' %}
    select count(*)
    from _dbt_clarify_ranked c
    {%- if ledger %}
    left join _dbt_clarify_ledger l on l.row_key = c._dbt_clarify_key
    where not {{ wanted }}
    {%- else %}
    where 1 = 0
    {%- endif %}
    {%- else %}
    select
        {%- for column in columns %}
        c.{{ column }},
        {%- endfor %}
        c._dbt_clarify_superseded,
        c._dbt_clarify_cursor,
        c._dbt_clarify_key,
        c._dbt_clarify_hash,
        {%- if ledger %}
        case
            when l.status = 'unlinked' and l.row_hash = c._dbt_clarify_hash then true
            else false
        end as _dbt_clarify_relink,
        case
            when l.row_key is not null or c._dbt_clarify_shared then true else false
        end as _dbt_clarify_known
        {%- else %}
        false as _dbt_clarify_relink,
        true as _dbt_clarify_known
        {%- endif %}
    from _dbt_clarify_ranked c
    {%- if ledger %}
    left join _dbt_clarify_ledger l on l.row_key = c._dbt_clarify_key
    where {{ wanted }}
    {%- endif %}
    {%- if ordered %}
    order by {{ dbt_clarify._changed_rows_order('c') }}
    {%- endif %}
    {%- endif %}
    {%- endif %}
  {%- endset -%}
  {{ return(sql) }}
{% endmacro %}


{#- The order changed_rows returns its rows in, over its output columns (of `alias`, if given):
    NULL cursors first, then by cursor, then by key as text. -#}
{% macro _changed_rows_order(alias=none) %}
  {%- set prefix = alias ~ '.' if alias else '' -%}
  {{ return('case when ' ~ prefix ~ '_dbt_clarify_cursor is null then 0 else 1 end, '
            ~ prefix ~ '_dbt_clarify_cursor, ' ~ prefix ~ '_dbt_clarify_key') }}
{% endmacro %}


{#- A key column as the text the ledger and the watermark hold ('' for NULL). -#}
{% macro _key_text(key) %}
  {{ return("coalesce(" ~ (dbt.cast(key, dbt_clarify._type_text()) | trim) ~ ", '')") }}
{% endmacro %}


{#- A row's content hash: the columns as text, salted (with the mapping's hash, so that a changed
    mapping changes every hash). Each value is marked ('v' + text, or 'n' for NULL) and its
    separators doubled, so that no two different rows join to the same text. -#}
{% macro _row_hash(columns, salt) %}
  {%- set parts = [dbt_clarify._string_literal(salt)] -%}
  {%- for column in columns -%}
    {%- set text = "replace(" ~ (dbt.cast(column, dbt_clarify._type_text()) | trim) ~ ", '|', '||')" -%}
    {%- do parts.append("'|'") -%}
    {%- do parts.append("case when " ~ column ~ " is null then 'n' else "
        ~ (dbt.concat(["'v'", text]) | trim) ~ " end") -%}
  {%- endfor -%}
  {{ return(dbt_clarify._hash_text(dbt.concat(parts))) }}
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
      {%- set since = dbt_clarify._time_minus(mark, cursor_type, lookback_seconds | int) -%}
    {%- else -%}
      {%- set since = mark ~ " - " ~ (lookback_seconds | int) -%}
    {%- endif -%}
    {{ return(cursor ~ " >= (" ~ since ~ ")") }}
  {%- endif -%}
  {{ return("(" ~ cursor ~ " > " ~ mark ~ " or (" ~ cursor ~ " = " ~ mark ~ " and " ~ key_past ~ "))") }}
{% endmacro %}
