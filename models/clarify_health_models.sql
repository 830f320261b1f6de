{#- One row per sync model: its last sync, the rows still waiting, and the outcome of the latest
    dbt invocation that built or tested it (a sync skips the model while that one failed). -#}
with ranked_runs as (
    select
        model_id,
        started_at,
        status,
        written,
        row_number() over (partition by model_id order by started_at desc, run_id desc) as recency
    from {{ ref('clarify_health_sync_runs') }}
),

last_runs as (
    select * from ranked_runs where recency = 1
),

waiting_rows as (
    select
        model_id,
        sum(case when status = 'rejected' then row_count else 0 end) as rejected_rows,
        sum(case when status = 'failed' then row_count else 0 end) as failed_rows
    from {{ ref('clarify_health_row_failures') }}
    group by model_id
),

dbt_results as (
    select * from {{ source('dbt_clarify_state', 'clarify_dbt_results') }}
),

latest_invocations as (
    select model_id, max(invocation_started_at) as invocation_started_at
    from dbt_results
    group by model_id
),

dbt_outcomes as (
    select
        r.model_id,
        max(r.invocation_started_at) as dbt_invocation_started_at,
        sum(
            case
                when r.resource_type = 'model' and r.status in ('error', 'skipped') then 1
                when r.resource_type = 'test' and r.status in ('fail', 'error') then 1
                else 0
            end
        ) as dbt_failures
    from dbt_results as r
    inner join latest_invocations as l
        on r.model_id = l.model_id and r.invocation_started_at = l.invocation_started_at
    group by r.model_id
),

models as (
    select distinct model_id
    from (
        select model_id from last_runs
        union all
        select model_id from waiting_rows
        union all
        select model_id from dbt_outcomes
    ) as known
)

select
    m.model_id,
    {{ dbt.split_part('m.model_id', "'.'", 3) }} as model_name,
    r.started_at as last_sync_at,
    r.status as last_sync_status,
    r.written as last_sync_written,
    coalesce(w.rejected_rows, 0) as rejected_rows,
    coalesce(w.failed_rows, 0) as failed_rows,
    d.dbt_invocation_started_at,
    case
        when d.model_id is null then null
        when d.dbt_failures > 0 then 'failed'
        else 'passed'
    end as dbt_outcome
from models as m
left join last_runs as r on m.model_id = r.model_id
left join waiting_rows as w on m.model_id = w.model_id
left join dbt_outcomes as d on m.model_id = d.model_id
