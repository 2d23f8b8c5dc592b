"""Sample-data generator: a small company's messy customer files plus the exact truth behind them.

It is a test bed, not the target: the pipeline must never special-case it. ``generate_sample`` writes
journals (cp1251 call log, a JSON-lines visits log with two schema versions), one workbook per sales
manager (Polish, US English, Russian, Persian, Chinese; each with its own headers and habits),
accounting exports (customers, invoices, payments), a ``sources.yml`` declaring them all, and ``truth/``
(customers, per-row truth, planted defects, invoices) so every later stage can be scored against
known answers. Deterministic by seed; scales to a million customers by generating in numpy and
streaming every file.
"""

from devkit.generator.config import DEFAULT_AS_OF, GenerationSettings
from devkit.generator.generate import GenerationSummary, generate_sample

__all__ = ["DEFAULT_AS_OF", "GenerationSettings", "GenerationSummary", "generate_sample"]
