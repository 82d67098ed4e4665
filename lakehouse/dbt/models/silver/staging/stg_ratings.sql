{{ config(incremental_strategy='merge', unique_key='event_id') }}
with events as (
  {{ bronze_events('ratings') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('trip_id') }} as trip_id,
    {{ json_str('rater_type') }} as rater_type,
    {{ json_str('rater_id') }} as rater_id,
    {{ json_str('ratee_type') }} as ratee_type,
    {{ json_str('ratee_id') }} as ratee_id,
    {{ json_num('rating', 'integer') }} as rating,
    {{ json_str('comment') }} as comment,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and trip_id is not null and event_ts is not null
  and rater_type in ('rider', 'driver') and ratee_type in ('rider', 'driver')
  and rating between 1 and 5
{{ dedup_events() }}
