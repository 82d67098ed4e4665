{{ config(incremental_strategy='merge', unique_key='event_id') }}
-- One row per trip lifecycle event (deduplicated on event_id).
with events as (
  {{ bronze_events('trips') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('event_type') }} as event_type,
    split_part({{ json_str('event_type') }}, '.', 2) as trip_state,
    {{ json_str('trip_id') }} as trip_id,
    {{ json_str('rider_id') }} as rider_id,
    {{ json_str('driver_id') }} as driver_id,
    {{ json_lat('pickup_location') }} as pickup_lat,
    {{ json_lon('pickup_location') }} as pickup_lon,
    {{ json_lat('dropoff_location') }} as dropoff_lat,
    {{ json_lon('dropoff_location') }} as dropoff_lon,
    {{ json_str('pickup_zone_id') }} as pickup_zone_id,
    {{ json_str('dropoff_zone_id') }} as dropoff_zone_id,
    {{ json_num('surge_multiplier', 'decimal(6,2)') }} as surge_multiplier,
    {{ json_num('fare', 'decimal(12,2)') }} as fare,
    {{ json_num('offer_sequence', 'integer') }} as offer_sequence,
    {{ json_str('cancelled_by') }} as cancelled_by,
    {{ json_str('cancellation_reason') }} as cancellation_reason,
    {{ json_str('cancellation_stage') }} as cancellation_stage,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and trip_id is not null and rider_id is not null and event_ts is not null
  and trip_state in {{ in_list(trip_states()) }}
  and surge_multiplier between 1 and 10 and fare >= 0
{{ dedup_events() }}
