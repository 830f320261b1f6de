-- People as the source system exports them: raw spellings kept, so the sync's own
-- normalisation (trimmed, lower-cased emails; bare domains) is what gets exercised.
select
    person_id,
    first_name,
    last_name,
    email,
    nullif(title, '') as title,
    nullif(company_domain, '') as company_domain,
    lifecycle_stage,
    updated_at
from {{ ref('raw_people') }}
