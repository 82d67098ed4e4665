{{ config(incremental_strategy='merge', unique_key='event_id') }}
with events as (
  {{ bronze_events('payments') }}
),
parsed as (
  select
    {{ json_str('event_id') }} as event_id,
    {{ json_str('payment_id') }} as payment_id,
    {{ json_str('trip_id') }} as trip_id,
    {{ json_str('rider_id') }} as rider_id,
    {{ json_str('driver_id') }} as driver_id,
    {{ json_str('payment_method_type') }} as payment_method_type,
    {{ json_str('payment_method_masked') }} as payment_method_masked,
    {{ json_num('fare_amount', 'decimal(12,2)') }} as fare_amount,
    {{ json_num('platform_fee_percentage', 'decimal(5,2)') }} as platform_fee_percentage,
    {{ json_num('platform_fee_amount', 'decimal(12,2)') }} as platform_fee_amount,
    {{ json_num('driver_payout_amount', 'decimal(12,2)') }} as driver_payout_amount,
    coalesce({{ json_str('currency') }}, 'BRL') as currency,
    {{ json_ts() }} as event_ts,
    {{ event_lineage_columns() }}
  from events
)
select * from parsed
where event_id is not null and payment_id is not null and trip_id is not null and event_ts is not null
  and payment_method_type in {{ in_list(payment_method_types()) }}
  and fare_amount >= 0 and platform_fee_amount >= 0 and driver_payout_amount >= 0
{{ dedup_events() }}
