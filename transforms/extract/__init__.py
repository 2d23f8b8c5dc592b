"""Extract: read declared files into staged Parquet with lineage; quarantine what is not a record."""

from transforms.extract.extract import FileReport, extract_sources

__all__ = ["FileReport", "extract_sources"]
