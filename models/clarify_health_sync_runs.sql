{#- One row per sync model per `dbt-clarify sync` run: what it read and wrote, and how long. -#}
select
    run_id,
    model_id,
    {{ dbt.split_part('model_id', "'.'", 3) }} as model_name,
    started_at,
    finished_at,
    {{ dbt.datediff('started_at', 'finished_at', 'second') }} as duration_s,
    status,
    rows_read,
    created,
    updated,
    created + updated as written,
    unchanged,
    rejected,
    failed,
    requests,
    version
from {{ source('dbt_clarify_state', 'clarify_sync_runs') }}
