-- Daily revenue adds up to the payments it was computed from.
{{ config(tags=['gold']) }}
select r.date_key, r.gross_revenue, p.total
from {{ ref('agg_daily_platform_revenue') }} r
join (select date_key, sum(fare_amount) as total from {{ ref('fact_payments') }} group by 1) p using (date_key)
where r.gross_revenue <> p.total
