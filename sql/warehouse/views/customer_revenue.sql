-- Grain: one row per customer and currency of the last published night. Key: (customer_id, currency).
-- From core.invoice (invoices settled by the receivables stage): amounts stay in their currency; an invoice
-- counts at what it is due (credit notes deducted); duplicate numbers and unusable rows are left out.
create or replace view marts.customer_revenue as
with invoices as (
    select
        customer_id,
        currency,
        issued_on,
        amount_due,
        paid_amount
    from core.invoice
    where
        document_type = 'invoice'
        and customer_id is not null
        and status not in ('duplicate_number', 'unusable')
),

final as (
    select
        customer_id,
        currency,
        count(*) as invoice_count,
        sum(amount_due) as net_invoiced,
        sum(paid_amount) as paid,
        min(issued_on) as first_invoice_on,
        max(issued_on) as last_invoice_on
    from invoices
    group by customer_id, currency
)

select * from final;
comment on view marts.customer_revenue is 'What each customer was invoiced and paid, per currency, net of credit notes: the monetary side of a customer for analysts.';
comment on column marts.customer_revenue.customer_id is 'The customer (marts.customer_overview.customer_id).';
comment on column marts.customer_revenue.currency is 'ISO 4217 currency code; amounts in different currencies are never added together.';
comment on column marts.customer_revenue.invoice_count is 'Invoices issued (credit notes not counted).';
comment on column marts.customer_revenue.net_invoiced is 'Sum of what the invoices are due (credit notes deducted), in the currency.';
comment on column marts.customer_revenue.paid is 'Sum of the payments applied to those invoices, in the currency.';
comment on column marts.customer_revenue.first_invoice_on is 'Issue date of the first invoice.';
comment on column marts.customer_revenue.last_invoice_on is 'Issue date of the latest invoice.';
