-- Per driver and UTC day: completed trips, fares, payouts and ratings received.
with trips as (
  select driver_id, date_key, count(*) as completed_trips, sum(fare) as gross_fare,
         sum(trip_duration_minutes) as minutes_on_trip
  from {{ ref('fact_trips') }}
  group by all
),
payouts as (
  select driver_id, date_key, sum(driver_payout_amount) as driver_payout
  from {{ ref('fact_payments') }}
  group by all
),
ratings as (
  select ratee_id as driver_id, date_key, count(*) as ratings_received, avg(rating) as avg_rating
  from {{ ref('fact_ratings') }}
  where ratee_type = 'driver'
  group by all
),
keys as (
  select driver_id, date_key from trips
  union select driver_id, date_key from payouts
  union select driver_id, date_key from ratings
)
select
  d.driver_key,
  k.driver_id,
  k.date_key,
  coalesce(t.completed_trips, 0) as completed_trips,
  coalesce(t.gross_fare, 0) as gross_fare,
  coalesce(p.driver_payout, 0) as driver_payout,
  coalesce(t.minutes_on_trip, 0) as minutes_on_trip,
  coalesce(r.ratings_received, 0) as ratings_received,
  round(r.avg_rating, 3) as avg_rating
from keys k
left join trips t using (driver_id, date_key)
left join payouts p using (driver_id, date_key)
left join ratings r using (driver_id, date_key)
left join {{ ref('dim_drivers') }} d on d.driver_id = k.driver_id and d.is_current
