"""dagcheck: static review of Airflow DAGs and Prefect flows."""

__version__ = "0.1.0"
