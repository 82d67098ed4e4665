{{ config(tags=["gold"]) }}
-- Every trip with a completed event in Silver is exactly one row in fact_trips (no loss, no fan-out
-- from the SCD2 join).
with expected as (
  select distinct trip_id from {{ ref('stg_trips') }} where trip_state = 'completed'
)
select coalesce(e.trip_id, f.trip_id) as trip_id, e.trip_id is null as extra_in_fact
from expected e
full outer join (select trip_id from {{ ref('fact_trips') }}) f using (trip_id)
where e.trip_id is null or f.trip_id is null
