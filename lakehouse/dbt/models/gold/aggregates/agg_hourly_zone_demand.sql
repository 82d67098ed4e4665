-- Trips requested per pickup zone and hour (UTC), and how many of them completed.
with trips as (
  select trip_id,
    arg_min(pickup_zone_id, event_ts) as pickup_zone_id,
    min(event_ts) filter (where trip_state = 'requested') as requested_at,
    bool_or(trip_state = 'completed') as completed,
    bool_or(trip_state = 'cancelled') and not bool_or(trip_state = 'completed') as cancelled,
    max(surge_multiplier) filter (where trip_state = 'requested') as surge_at_request
  from {{ ref('stg_trips') }}
  group by trip_id
)
select
  z.zone_key,
  t.pickup_zone_id as zone_id,
  date_trunc('hour', t.requested_at) as hour_ts,
  cast(strftime(t.requested_at, '%Y%m%d') as integer) as date_key,
  count(*) as requested_trips,
  count(*) filter (where t.completed) as completed_trips,
  count(*) filter (where t.cancelled) as cancelled_trips,
  round(count(*) filter (where t.completed) / count(*), 4) as completion_rate,
  round(avg(t.surge_at_request), 3) as avg_surge_multiplier,
  coalesce(sum(f.fare), 0) as completed_fare
from trips t
left join {{ ref('fact_trips') }} f on f.trip_id = t.trip_id
left join {{ ref('dim_zones') }} z on z.zone_id = t.pickup_zone_id
where t.requested_at is not null
group by all
