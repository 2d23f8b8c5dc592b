-- Customers getting worse at paying: whose payment reliability class got worse over the last 90 days, or who
-- kept their class but now pays more than a week later (median) than before.
-- Reads marts.customer_reliability_history (one row per customer per night) and marts.customer_overview
-- (channel and account manager, no personal data). Customers with nothing due (no_history) are left out.
-- One row per customer who got worse, the biggest drops first.
with history as (
    select
        customer_id,
        reliability_class,
        median_days_late,
        share_paid_on_time,
        as_of,
        case reliability_class
            when 'on_time' then 0
            when 'slight_delay' then 1
            when 'significant_delay' then 2
            when 'non_payer' then 3
        end as class_rank
    from marts.customer_reliability_history
    where reliability_class <> 'no_history'
),

latest_night as (
    select max(as_of) as as_of
    from history
),

now_ as (
    select h.*
    from history as h
    inner join latest_night as n on h.as_of = n.as_of
),

earlier as (
    select
        h.*,
        row_number() over (partition by h.customer_id order by h.as_of) as night_order
    from history as h
    inner join latest_night as n on h.as_of >= n.as_of - 90 and h.as_of < n.as_of
),

before_ as (
    select *
    from earlier
    where night_order = 1
),

final as (
    select
        n.customer_id,
        o.channel,
        o.account_manager,
        b.as_of as compared_with,
        b.reliability_class as class_before,
        n.reliability_class as class_now,
        n.class_rank - b.class_rank as classes_worse,
        b.median_days_late as median_days_late_before,
        n.median_days_late as median_days_late_now,
        b.share_paid_on_time as share_paid_on_time_before,
        n.share_paid_on_time as share_paid_on_time_now
    from now_ as n
    inner join before_ as b on b.customer_id = n.customer_id
    left join marts.customer_overview as o on o.customer_id = n.customer_id
    where
        n.class_rank > b.class_rank
        or (n.class_rank = b.class_rank and n.median_days_late > b.median_days_late + 7)
)

select * from final
order by classes_worse desc, median_days_late_now - median_days_late_before desc, customer_id
