{{ config(incremental_strategy='merge', unique_key='event_id') }}
-- GPS pings inside the São Paulo bounding box (pings outside it are dropped, see anomalies_gps_outliers).
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
    {{ json_num('accuracy') }} as accuracy_m,
    {{ json_num('heading') }} as heading,
    {{ json_num('speed') }} as speed_mps,
    {{ json_str('trip_id') }} as trip_id,
    {{ json_str('trip_state') }} as trip_state,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and entity_id is not null and event_ts is not null
  and entity_type in ('driver', 'rider')
  and lat between {{ var('sp_lat_min') }} and {{ var('sp_lat_max') }}
  and lon between {{ var('sp_lon_min') }} and {{ var('sp_lon_max') }}
{{ dedup_events() }}
