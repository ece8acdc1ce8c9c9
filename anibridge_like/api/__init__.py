"""HTTP routes of the admin API and health endpoints."""
