"""The data steward's console: a small web application over the warehouse (``crm-etl console``).

Review queue of the night's doubtful pairs, customer pages, the data-quality queue. Server-rendered pages
(Starlette + Jinja2, every value escaped), a few lines of plain JavaScript for keyboard shortcuts. Decisions are
stored by the same code as `crm-etl review import` (``transforms.customers.decisions.store_decisions``).
"""
