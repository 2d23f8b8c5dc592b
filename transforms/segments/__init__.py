"""Customer segments: features per customer, a clustering that keeps its ids night to night, and rule views."""

from transforms.segments.features import build_features
from transforms.segments.rules import compile_rule_views
from transforms.segments.settings import SegmentSettings, load_segments, load_segments_file

__all__ = ["SegmentSettings", "build_features", "compile_rule_views", "load_segments", "load_segments_file"]
