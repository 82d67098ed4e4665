{{ config(incremental_strategy='merge', unique_key='event_id') }}
-- GPS pings outside the São Paulo bounding box: dropped from stg_gps_pings, kept here for inspection.
with events as (
  {{ bronze_events('gps_pings') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('entity_type') }} as entity_type,
    {{ json_str('entity_id') }} as entity_id,
    {{ json_lat('location') }} as lat,
    {{ json_lon('location') }} as lon,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select 'gps_outlier' as anomaly_type, *
from parsed
where event_id is not null and entity_id is not null and event_ts is not null
  and (lat is null or lon is null
       or lat not between {{ var('sp_lat_min') }} and {{ var('sp_lat_max') }}
       or lon not between {{ var('sp_lon_min') }} and {{ var('sp_lon_max') }})
{{ dedup_events() }}
