"""Nightly customer-data consolidation: all logic, importable without Airflow."""
