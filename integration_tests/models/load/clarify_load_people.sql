-- Generated people for load, chaos and crash tests: built only with
-- --vars '{dbt_clarify_load_rows: N}'. dbt_clarify_load_version changes every title and moves
-- updated_at on past every earlier version's rows, so a test can check that no stale value
-- survives. With dbt_clarify_load_changed_every: K only every K-th row takes that version (the
-- others stay at version 1): K = 100 changes 1% of the rows.
{{ config(enabled=(var('dbt_clarify_load_rows', 0) | int > 0)) }}
{%- set rows = var('dbt_clarify_load_rows', 0) | int %}
{%- set companies = [rows // 40, 1] | max %}
{%- set every = var('dbt_clarify_load_changed_every', 1) | int %}
{%- set version -%}
    case when i % {{ every }} = 0 then {{ var('dbt_clarify_load_version', 1) | int }} else 1 end
{%- endset %}
select
    'person' || cast(i as varchar) || '@load' || cast(i % {{ companies }} as varchar)
        || '.example' as email,
    'First' || cast(i as varchar) as first_name,
    'Last' || cast(i as varchar) as last_name,
    'Title ' || cast({{ version }} as varchar) || '.' || cast(i % 7 as varchar) as title,
    'load' || cast(i % {{ companies }} as varchar) || '.example' as company_domain,
    case i % 4 when 0 then 'Lead' when 1 then 'MQL' when 2 then 'SQL' else 'Customer' end
        as lifecycle_stage,
    cast('2024-01-01 00:00:00' as timestamp)
        + ({{ version }}) * interval '1 day'
        + (({{ version }}) - 1) * {{ rows }} * interval '1 second'
        + i * interval '1 second' as updated_at
from ({{ numbers(rows) }}) as numbers
