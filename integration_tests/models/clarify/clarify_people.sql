select
    email,
    first_name,
    last_name,
    title,
    company_domain,
    lifecycle_stage,
    updated_at
from {{ ref('stg_people') }}
