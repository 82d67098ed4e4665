-- One row per rating event.
select
  md5(g.event_id) as rating_key,
  g.event_id,
  g.trip_id,
  t.trip_key,
  g.rater_type, g.rater_id, g.ratee_type, g.ratee_id,
  g.rating,
  g.comment,
  cast(strftime(g.event_ts, '%Y%m%d') as integer) as date_key,
  g.event_ts as rated_at,
  g.correlation_id
from {{ ref('stg_ratings') }} g
left join {{ ref('fact_trips') }} t on t.trip_id = g.trip_id
