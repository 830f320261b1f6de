select
    company_id,
    name,
    domain,
    industry,
    employee_count,
    updated_at
from {{ ref('raw_companies') }}
