-- One row per payment (first event of each payment_id).
with payments as (
  select * from {{ ref('stg_payments') }}
  qualify row_number() over (partition by payment_id order by event_ts, _kafka_offset) = 1
)
select
  md5(p.payment_id) as payment_key,
  p.payment_id,
  p.trip_id,
  t.trip_key,
  r.rider_key,
  d.driver_key,
  p.rider_id,
  p.driver_id,
  cast(strftime(p.event_ts, '%Y%m%d') as integer) as date_key,
  p.payment_method_type,
  p.payment_method_masked,
  p.fare_amount,
  p.platform_fee_percentage,
  p.platform_fee_amount,
  p.driver_payout_amount,
  p.currency,
  p.event_ts as paid_at,
  p.correlation_id
from payments p
left join {{ ref('fact_trips') }} t on t.trip_id = p.trip_id
left join {{ ref('dim_riders') }} r on r.rider_id = p.rider_id
left join {{ ref('dim_drivers') }} d
  on d.driver_id = p.driver_id
 and p.event_ts >= d.valid_from and (d.valid_to is null or p.event_ts < d.valid_to)
