"""Alembic migrations for every table of every service and of the platform."""
