-- Drivers whose latest status says they are working but who have sent no GPS ping or status
-- change for var('zombie_silence_minutes') before the reference time (var('anomaly_reference_ts'),
-- default now()).
with last_status as (
  select driver_id, new_status, event_ts as status_ts, correlation_id
  from {{ ref('stg_driver_status') }}
  qualify row_number() over (partition by driver_id order by event_ts desc, _kafka_offset desc) = 1
),
last_ping as (
  select entity_id as driver_id, max(event_ts) as last_ping_ts
  from {{ ref('stg_gps_pings') }}
  where entity_type = 'driver'
  group by 1
),
ref_time as (
  select {% if var('anomaly_reference_ts', none) %}'{{ var('anomaly_reference_ts') }}'::timestamptz{% else %}now(){% endif %} as ts
)
select
  'zombie_driver' as anomaly_type,
  s.driver_id, s.new_status as last_status, s.status_ts, p.last_ping_ts,
  greatest(s.status_ts, coalesce(p.last_ping_ts, s.status_ts)) as last_seen_ts,
  round((epoch(r.ts) - epoch(greatest(s.status_ts, coalesce(p.last_ping_ts, s.status_ts)))) / 60.0, 1)
    as silent_minutes,
  s.correlation_id
from last_status s
left join last_ping p using (driver_id)
cross join ref_time r
where s.new_status <> 'offline'
  and greatest(s.status_ts, coalesce(p.last_ping_ts, s.status_ts))
      < r.ts - to_minutes({{ var('zombie_silence_minutes') }}::bigint)
