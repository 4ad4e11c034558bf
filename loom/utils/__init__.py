"""Utilities: naming, dtypes, seeding, summaries."""
