"""Deterministic, realistic demo data: customers with three years of history and churn stories.

``seed_demo`` (in ``seeder``) is the entry point; the ``seed_demo`` management command wraps it.
"""
