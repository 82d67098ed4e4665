-- SCD type 2: one row per version of a driver profile, valid on [valid_from, valid_to).
with versions as (
  select *,
    lead(event_ts) over (partition by driver_id order by event_ts, _kafka_offset) as next_ts
  from {{ ref('stg_driver_profiles') }}
)
select
  md5(driver_id || '|' || cast(event_ts as varchar)) as driver_key,
  driver_id, first_name, last_name, email, phone, home_lat, home_lon, preferred_zones, shift_preference,
  vehicle_make, vehicle_model, vehicle_year, license_plate,
  event_ts as valid_from,
  next_ts as valid_to,
  next_ts is null as is_current,
  event_id as source_event_id,
  correlation_id
from versions
