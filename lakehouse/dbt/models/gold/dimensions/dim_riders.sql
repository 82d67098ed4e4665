-- One row per rider: the latest profile version.
select
  md5(rider_id) as rider_key,
  rider_id, first_name, last_name, email, phone, home_lat, home_lon,
  payment_method_type, payment_method_masked, behavior_factor,
  min(event_ts) over (partition by rider_id) as first_seen_at,
  event_ts as updated_at,
  correlation_id
from {{ ref('stg_rider_profiles') }}
qualify row_number() over (partition by rider_id order by event_ts desc, _kafka_offset desc) = 1
