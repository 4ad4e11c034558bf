"""loom.saving: model files that are safe to open and never half-written (DESIGN.md point 5).

Keras 3's names (``save_model``, ``load_model``, ``register_keras_serializable``,
``serialize_keras_object``, ...) over loom's format: a zip with ``config.json``,
``metadata.json`` and ``model.safetensors``. Classes and functions come only
from the registry; stored Lambda code runs only in a restricted evaluator
unless the caller passes ``safe_mode=False``.
"""

from loom.saving import archive as archive
from loom.saving import integrity as integrity
from loom.saving import keras_archive as keras_archive
from loom.saving import keras_config as keras_config
from loom.saving import weights as weights
from loom.saving.api import load_model as load_model
from loom.saving.api import load_weights as load_weights
from loom.saving.api import model_from_json as model_from_json
from loom.saving.api import save_model as save_model
from loom.saving.api import save_weights as save_weights
from loom.saving.archive import read_archive as read_archive
from loom.saving.archive import write_archive as write_archive
from loom.saving.atomic_write import atomic_open as atomic_open
from loom.saving.errors import ArchiveError as ArchiveError
from loom.saving.errors import ConfigError as ConfigError
from loom.saving.errors import IntegrityError as IntegrityError
from loom.saving.errors import NonFiniteWeightsError as NonFiniteWeightsError
from loom.saving.errors import SavingError as SavingError
from loom.saving.errors import SerializationError as SerializationError
from loom.saving.errors import UnknownObjectError as UnknownObjectError
from loom.saving.errors import UnsafeCodeError as UnsafeCodeError
from loom.saving.errors import WeightsFileError as WeightsFileError
from loom.saving.errors import WeightsMismatchError as WeightsMismatchError
from loom.saving.model_state import get_model_state as get_model_state
from loom.saving.model_state import set_model_state as set_model_state
from loom.saving.registry import CustomObjectScope as CustomObjectScope
from loom.saving.registry import custom_object_scope as custom_object_scope
from loom.saving.registry import get_custom_objects as get_custom_objects
from loom.saving.registry import get_registered_name as get_registered_name
from loom.saving.registry import get_registered_object as get_registered_object
from loom.saving.registry import register_keras_serializable as register_keras_serializable
from loom.saving.serialization import deserialize_keras_object as deserialize_keras_object
from loom.saving.serialization import serialize_keras_object as serialize_keras_object
from loom.saving.weights import load_safetensors as load_safetensors
from loom.saving.weights import save_safetensors as save_safetensors
