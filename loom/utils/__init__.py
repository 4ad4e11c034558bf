"""Utilities: naming, dtypes, seeding, summaries."""

from loom.utils.naming import reset_names as clear_session
from loom.utils.random_seed import set_random_seed as set_random_seed
