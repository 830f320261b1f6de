-- Generated companies for load, chaos and crash tests: built only with
-- --vars '{dbt_clarify_load_rows: N}' (one company per 40 people).
{{ config(enabled=(var('dbt_clarify_load_rows', 0) | int > 0)) }}
{%- set companies = [(var('dbt_clarify_load_rows', 0) | int) // 40, 1] | max %}
select
    'load' || cast(i as varchar) || '.example' as domain,
    'Load Company ' || cast(i as varchar) as name,
    case i % 3 when 0 then 'Software' when 1 then 'Retail' else 'Logistics' end as industry,
    i * 3 + 1 as employee_count,
    cast('2024-01-01 00:00:00' as timestamp) + i * interval '1 second' as updated_at
from ({{ numbers(companies) }}) as numbers
