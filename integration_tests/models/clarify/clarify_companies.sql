select
    domain,
    name,
    industry,
    employee_count,
    updated_at
from {{ ref('stg_companies') }}
