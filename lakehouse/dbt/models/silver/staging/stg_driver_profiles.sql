{{ config(incremental_strategy='merge', unique_key='event_id') }}
with events as (
  {{ bronze_events('driver_profiles') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('event_type') }} as event_type,
    {{ json_str('driver_id') }} as driver_id,
    {{ json_str('first_name') }} as first_name,
    {{ json_str('last_name') }} as last_name,
    {{ json_str('email') }} as email,
    {{ json_str('phone') }} as phone,
    {{ json_lat('home_location') }} as home_lat,
    {{ json_lon('home_location') }} as home_lon,
    cast(j->'$.preferred_zones' as varchar[]) as preferred_zones,
    {{ json_str('shift_preference') }} as shift_preference,
    {{ json_str('vehicle_make') }} as vehicle_make,
    {{ json_str('vehicle_model') }} as vehicle_model,
    {{ json_num('vehicle_year', 'integer') }} as vehicle_year,
    {{ json_str('license_plate') }} as license_plate,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and driver_id is not null and event_ts is not null
  and event_type in ('driver.created', 'driver.updated')
{{ dedup_events() }}
