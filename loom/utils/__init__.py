"""Utilities: naming, dtypes, seeding, summaries."""

from loom.utils.naming import reset_names
from loom.utils.random_seed import set_random_seed as set_random_seed

# Keras's name for forgetting auto-names (keras.utils.clear_session)
clear_session = reset_names
del reset_names
