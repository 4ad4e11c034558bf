"""loom.utils: Keras 3's ``keras.utils`` — data, files, images, progress, serialization helpers."""

from importlib import import_module as _import_module

from loom.utils.batched_dataset import BatchedDataset as BatchedDataset
from loom.utils.config import Config as Config
from loom.utils.data_packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from loom.utils.data_packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from loom.utils.dataset_split import split_dataset as split_dataset
from loom.utils.dtypes import standardize_dtype as standardize_dtype
from loom.utils.file_download import get_file as get_file
from loom.utils.image_dataset import image_dataset_from_directory as image_dataset_from_directory
from loom.utils.image_io import array_to_img as array_to_img
from loom.utils.image_io import img_to_array as img_to_array
from loom.utils.image_io import load_img as load_img
from loom.utils.image_io import save_img as save_img
from loom.utils.interactive_logging import disable_interactive_logging as disable_interactive_logging
from loom.utils.interactive_logging import enable_interactive_logging as enable_interactive_logging
from loom.utils.interactive_logging import is_interactive_logging_enabled as is_interactive_logging_enabled
from loom.utils.model_visualization import model_to_dot as model_to_dot
from loom.utils.model_visualization import plot_model as plot_model
from loom.utils.naming import reset_names
from loom.utils.numerical import normalize as normalize
from loom.utils.numerical import to_categorical as to_categorical
from loom.utils.progress import Progbar as Progbar
from loom.utils.py_dataset import PyDataset as PyDataset
from loom.utils.py_dataset import Sequence as Sequence
from loom.utils.random_seed import set_random_seed as set_random_seed
from loom.utils.sequence_padding import pad_sequences as pad_sequences
from loom.utils.symbolic import get_source_inputs as get_source_inputs
from loom.utils.symbolic import is_keras_tensor as is_keras_tensor
from loom.utils.text_dataset import text_dataset_from_directory as text_dataset_from_directory
from loom.utils.timeseries_dataset import timeseries_dataset_from_array as timeseries_dataset_from_array

# Keras's name for forgetting auto-names (keras.utils.clear_session)
clear_session = reset_names
del reset_names

# Names whose home is loom.saving, which imports the layers, which import loom.utils: importing
# them here at load time would be a cycle, so they are looked up on first use (PEP 562).
_FROM_SAVING = {
    "CustomObjectScope": "loom.saving.registry",
    "custom_object_scope": "loom.saving.registry",
    "get_custom_objects": "loom.saving.registry",
    "get_registered_name": "loom.saving.registry",
    "get_registered_object": "loom.saving.registry",
    "register_keras_serializable": "loom.saving.registry",
    "serialize_keras_object": "loom.saving.serialization",
    "deserialize_keras_object": "loom.saving.serialization",
}

# keras.utils names loom leaves out on purpose, and what to use instead.
_LEFT_OUT = {
    "audio_dataset_from_directory": (
        "loom has no audio decoding (Keras uses TensorFlow's). Decode the files yourself (e.g. with the "
        "`soundfile` package) into NumPy arrays and pass them to fit, or wrap them in a loom.utils.PyDataset"
    ),
    "FeatureSpace": (
        "it is a tf.data preprocessing pipeline built on TensorFlow-only layers (StringLookup, Hashing, "
        "Discretization). Encode the features with NumPy (or scikit-learn) before fit"
    ),
    "bounding_boxes": (
        "it belongs to Keras's image-augmentation layers, which loom does not have yet. Convert boxes with NumPy"
    ),
    "legacy": (
        "keras.utils.legacy holds tf.keras-only pickling and saving helpers; loom saves with model.save (a safe "
        ".keras file) and loom.saving"
    ),
}


def __getattr__(name):
    if name in _FROM_SAVING:
        value = getattr(_import_module(_FROM_SAVING[name]), name)
        globals()[name] = value  # found directly next time
        return value
    if name in _LEFT_OUT:
        raise AttributeError(f"loom.utils.{name} is not provided: {_LEFT_OUT[name]}.")
    raise AttributeError(f"module 'loom.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_SAVING))
