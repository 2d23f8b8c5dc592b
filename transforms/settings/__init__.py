"""Settings files (sources, rules, thresholds) loaded into frozen, validated models."""

from transforms.settings.errors import SettingsError
from transforms.settings.loader import load_settings_file
from transforms.settings.sources import (
    CUSTOMER_FIELDS,
    KIND_FIELDS,
    ColumnTarget,
    ResponsibleSpec,
    SheetSelector,
    SourceKind,
    SourcesFile,
    SourceSpec,
    load_sources,
)

__all__ = [
    "CUSTOMER_FIELDS",
    "KIND_FIELDS",
    "ColumnTarget",
    "ResponsibleSpec",
    "SettingsError",
    "SheetSelector",
    "SourceKind",
    "SourceSpec",
    "SourcesFile",
    "load_settings_file",
    "load_sources",
]
