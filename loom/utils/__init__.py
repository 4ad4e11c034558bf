"""Utilities: naming, dtypes, seeding, summaries."""

from loom.utils.data_packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from loom.utils.data_packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from loom.utils.naming import reset_names
from loom.utils.numerical import normalize as normalize
from loom.utils.numerical import to_categorical as to_categorical
from loom.utils.py_dataset import PyDataset as PyDataset
from loom.utils.py_dataset import Sequence as Sequence
from loom.utils.random_seed import set_random_seed as set_random_seed
from loom.utils.sequence_padding import pad_sequences as pad_sequences

# Keras's name for forgetting auto-names (keras.utils.clear_session)
clear_session = reset_names
del reset_names
