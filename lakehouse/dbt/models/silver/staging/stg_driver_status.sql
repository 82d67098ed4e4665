{{ config(incremental_strategy='merge', unique_key='event_id') }}
with events as (
  {{ bronze_events('driver_status') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('driver_id') }} as driver_id,
    {{ json_str('new_status') }} as new_status,
    {{ json_str('previous_status') }} as previous_status,
    {{ json_str('trigger') }} as status_trigger,
    {{ json_lat('location') }} as lat,
    {{ json_lon('location') }} as lon,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and driver_id is not null and event_ts is not null
  and new_status in {{ in_list(driver_statuses()) }}
{{ dedup_events() }}
