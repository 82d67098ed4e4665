{{ config(incremental_strategy='merge', unique_key='event_id') }}
with events as (
  {{ bronze_events('rider_profiles') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('event_type') }} as event_type,
    {{ json_str('rider_id') }} as rider_id,
    {{ json_str('first_name') }} as first_name,
    {{ json_str('last_name') }} as last_name,
    {{ json_str('email') }} as email,
    {{ json_str('phone') }} as phone,
    {{ json_lat('home_location') }} as home_lat,
    {{ json_lon('home_location') }} as home_lon,
    {{ json_str('payment_method_type') }} as payment_method_type,
    {{ json_str('payment_method_masked') }} as payment_method_masked,
    {{ json_num('behavior_factor') }} as behavior_factor,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and rider_id is not null and event_ts is not null
  and event_type in ('rider.created', 'rider.updated')
{{ dedup_events() }}
