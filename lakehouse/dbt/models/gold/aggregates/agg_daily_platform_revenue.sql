-- Platform revenue per UTC day: gross fares paid, the platform's fee and the drivers' payouts.
with pay as (
  select date_key,
    count(*) as payments,
    sum(fare_amount) as gross_revenue,
    sum(platform_fee_amount) as platform_fees,
    sum(driver_payout_amount) as driver_payouts
  from {{ ref('fact_payments') }}
  group by date_key
),
trips as (
  select date_key, count(*) as completed_trips
  from {{ ref('fact_trips') }}
  group by date_key
)
select
  coalesce(p.date_key, t.date_key) as date_key,
  coalesce(t.completed_trips, 0) as completed_trips,
  coalesce(p.payments, 0) as payments,
  coalesce(p.gross_revenue, 0) as gross_revenue,
  coalesce(p.platform_fees, 0) as platform_fees,
  coalesce(p.driver_payouts, 0) as driver_payouts,
  round(100.0 * p.platform_fees / nullif(p.gross_revenue, 0), 2) as effective_fee_pct
from pay p
full outer join trips t using (date_key)
