select
  md5(zone_id) as zone_key,
  zone_id, name as zone_name, subprefecture, demand_multiplier, surge_sensitivity, center_lat, center_lon
from {{ ref('zones') }}
