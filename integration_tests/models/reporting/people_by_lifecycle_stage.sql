-- An ordinary reporting model: not a sync model, so selection has something to leave out.
select
    lifecycle_stage,
    count(*) as people
from {{ ref('stg_people') }}
group by lifecycle_stage
