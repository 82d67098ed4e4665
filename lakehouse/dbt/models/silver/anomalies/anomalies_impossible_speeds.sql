-- Consecutive pings of one entity implying a speed above var('max_speed_kmh').
with pings as (
  select entity_type, entity_id, event_id, event_ts, lat, lon, correlation_id,
         lag(lat) over w as prev_lat, lag(lon) over w as prev_lon, lag(event_ts) over w as prev_ts,
         lag(event_id) over w as prev_event_id
  from {{ ref('stg_gps_pings') }}
  window w as (partition by entity_type, entity_id order by event_ts, event_id)
),
legs as (
  select *,
    -- haversine, km
    2 * 6371 * asin(sqrt(
      pow(sin(radians(lat - prev_lat) / 2), 2)
      + cos(radians(prev_lat)) * cos(radians(lat)) * pow(sin(radians(lon - prev_lon) / 2), 2)
    )) as distance_km,
    epoch(event_ts) - epoch(prev_ts) as elapsed_s
  from pings
  where prev_ts is not null
)
select
  'impossible_speed' as anomaly_type,
  event_id, prev_event_id, entity_type, entity_id, prev_ts, event_ts,
  round(distance_km, 3) as distance_km,
  elapsed_s,
  round(case when elapsed_s > 0 then distance_km / (elapsed_s / 3600.0) end, 1) as speed_kmh,
  correlation_id
from legs
where distance_km > 0.05
  and (elapsed_s <= 0 or distance_km / (elapsed_s / 3600.0) > {{ var('max_speed_kmh') }})
