-- Top segments by revenue: which customer segments bring the most money, last published night.
-- Reads marts.customer_segment (each customer's segment) and marts.customer_revenue (net invoiced per customer
-- and currency). Amounts are never added across currencies: one ranking per currency, the ten best segments each.
-- One row per currency and segment.
with segments as (
    select
        customer_id,
        segment_id,
        segment_name
    from marts.customer_segment
),

revenue as (
    select
        customer_id,
        currency,
        invoice_count,
        net_invoiced
    from marts.customer_revenue
),

by_segment as (
    select
        r.currency,
        s.segment_id,
        s.segment_name,
        count(distinct s.customer_id) as customers,
        sum(r.invoice_count) as invoices,
        sum(r.net_invoiced) as revenue
    from segments as s
    inner join revenue as r on r.customer_id = s.customer_id
    group by r.currency, s.segment_id, s.segment_name
),

ranked as (
    select
        currency,
        segment_id,
        segment_name,
        customers,
        invoices,
        revenue,
        revenue / customers as revenue_per_customer,
        row_number() over (partition by currency order by revenue desc) as rank_in_currency
    from by_segment
),

final as (
    select *
    from ranked
    where rank_in_currency <= 10
)

select * from final
order by currency, rank_in_currency
