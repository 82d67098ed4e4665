-- One row per calendar day (UTC) between var('calendar_start') and var('calendar_end').
select
  cast(strftime(d, '%Y%m%d') as integer) as date_key,
  cast(d as date) as date_day,
  year(d) as year,
  quarter(d) as quarter,
  month(d) as month,
  day(d) as day_of_month,
  isodow(d) as iso_day_of_week,
  dayname(d) as day_name,
  isodow(d) in (6, 7) as is_weekend
from range(date '{{ var("calendar_start", "2024-01-01") }}', date '{{ var("calendar_end", "2028-01-01") }}',
           interval 1 day) as t(d)
