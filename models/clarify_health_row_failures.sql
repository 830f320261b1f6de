{#- Rows that have not reached Clarify, by model, status and reason: what to fix first.

    A key counts by its latest ledger row, as a sync reads it: two syncs at once can leave an
    older row behind until the key is written again. -#}
-- depends_on: {{ ref('clarify_health_sync_runs') }} (whose pre-hook creates the state tables)
with ranked_rows as (
    select
        model_id,
        row_key,
        status,
        reason,
        field,
        attempts,
        status_since,
        last_attempt_at,
        row_number() over (
            partition by model_id, row_key order by last_attempt_at desc, status desc
        ) as recency
    from {{ source('dbt_clarify_state', 'clarify_sync_rows') }}
),

troubled as (
    select * from ranked_rows where recency = 1 and status in ('rejected', 'failed')
)

select
    model_id,
    {{ dbt.split_part('model_id', "'.'", 3) }} as model_name,
    status,
    reason,
    field,
    count(distinct row_key) as row_count,
    max(attempts) as max_attempts,
    min(status_since) as first_seen_at,
    max(last_attempt_at) as last_attempt_at
from troubled
group by model_id, status, reason, field
