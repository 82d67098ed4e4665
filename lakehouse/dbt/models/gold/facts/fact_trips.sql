-- One row per completed trip.
with trip_events as (
  select * from {{ ref('stg_trips') }}
),
completed as (
  select * from trip_events where trip_state = 'completed'
  qualify row_number() over (partition by trip_id order by event_ts, _kafka_offset) = 1
),
milestones as (
  select trip_id,
    min(event_ts) filter (where trip_state = 'requested') as requested_at,
    min(event_ts) filter (where trip_state = 'matched') as matched_at,
    min(event_ts) filter (where trip_state = 'started') as started_at
  from trip_events
  group by trip_id
)
select
  md5(c.trip_id) as trip_key,
  c.trip_id,
  c.rider_id,
  c.driver_id,
  r.rider_key,
  d.driver_key,
  pz.zone_key as pickup_zone_key,
  dz.zone_key as dropoff_zone_key,
  c.pickup_zone_id,
  c.dropoff_zone_id,
  cast(strftime(c.event_ts, '%Y%m%d') as integer) as date_key,
  m.requested_at,
  m.matched_at,
  m.started_at,
  c.event_ts as completed_at,
  round((epoch(c.event_ts) - epoch(m.started_at)) / 60.0, 2) as trip_duration_minutes,
  c.surge_multiplier,
  c.fare,
  c.correlation_id
from completed c
left join milestones m using (trip_id)
left join {{ ref('dim_riders') }} r on r.rider_id = c.rider_id
left join {{ ref('dim_drivers') }} d
  on d.driver_id = c.driver_id
 and c.event_ts >= d.valid_from and (d.valid_to is null or c.event_ts < d.valid_to)
left join {{ ref('dim_zones') }} pz on pz.zone_id = c.pickup_zone_id
left join {{ ref('dim_zones') }} dz on dz.zone_id = c.dropoff_zone_id
