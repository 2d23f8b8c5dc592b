"""The nightly run's stages as plain functions: the Airflow DAG and the crm-etl CLI both call these."""
