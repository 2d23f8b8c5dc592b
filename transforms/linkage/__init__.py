"""Probabilistic record linkage (Fellegi-Sunter): which records describe the same customer.

The nightly linkage stage calls ``link_records`` with tonight's staged contacts and the stewards' decisions;
the diagnostics page shows what the model learned and how well it did.
"""

from transforms.linkage.diagnostics import write_diagnostics
from transforms.linkage.link import LinkResult, link_records
from transforms.linkage.model import FittedModel
from transforms.linkage.settings import LinkageSettings, load_linkage_settings

__all__ = [
    "FittedModel",
    "LinkResult",
    "LinkageSettings",
    "link_records",
    "load_linkage_settings",
    "write_diagnostics",
]
