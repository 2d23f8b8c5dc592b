-- Payment reliability by acquisition channel: do customers who came by radio, newspaper, events, web or referral
-- pay differently? Share of each reliability class and the mean late-payment risk, last published night.
-- Reads marts.customer_reliability and marts.customer_overview. One row per channel, the riskiest first.
with reliability as (
    select
        customer_id,
        reliability_class,
        late_payment_risk
    from marts.customer_reliability
),

customers as (
    select
        customer_id,
        coalesce(channel, 'unknown') as channel
    from marts.customer_overview
),

final as (
    select
        c.channel,
        count(*) as customers,
        avg(case when r.reliability_class = 'on_time' then 1.0 else 0.0 end) as share_on_time,
        avg(case when r.reliability_class = 'slight_delay' then 1.0 else 0.0 end) as share_slight_delay,
        avg(case when r.reliability_class = 'significant_delay' then 1.0 else 0.0 end) as share_significant_delay,
        avg(case when r.reliability_class = 'non_payer' then 1.0 else 0.0 end) as share_non_payer,
        avg(case when r.reliability_class = 'no_history' then 1.0 else 0.0 end) as share_no_history,
        avg(r.late_payment_risk) as mean_late_payment_risk
    from customers as c
    inner join reliability as r on r.customer_id = c.customer_id
    group by c.channel
)

select * from final
order by mean_late_payment_risk desc nulls last, channel
