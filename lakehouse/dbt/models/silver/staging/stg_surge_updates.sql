{{ config(incremental_strategy='merge', unique_key='event_id') }}
with events as (
  {{ bronze_events('surge_updates') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('zone_id') }} as zone_id,
    {{ json_num('previous_multiplier', 'decimal(6,2)') }} as previous_multiplier,
    {{ json_num('new_multiplier', 'decimal(6,2)') }} as new_multiplier,
    {{ json_num('available_drivers', 'integer') }} as available_drivers,
    {{ json_num('pending_requests', 'integer') }} as pending_requests,
    {{ json_num('calculation_window_seconds', 'integer') }} as calculation_window_seconds,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and zone_id is not null and event_ts is not null
  and new_multiplier between 1 and 10 and previous_multiplier between 1 and 10
{{ dedup_events() }}
