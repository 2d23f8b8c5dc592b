"""Data quality: settings, validation frames, Great Expectations suites, failures, metrics and the gate.

Importing this package does not import Great Expectations; ``transforms.quality.suites`` and
``transforms.quality.runner`` do, and only the validate stage needs them.
"""

from transforms.quality.gate import GateViolation, QualityGateError
from transforms.quality.settings import QualitySettings, load_quality_settings, settings_for_sources

__all__ = ["GateViolation", "QualityGateError", "QualitySettings", "load_quality_settings", "settings_for_sources"]
