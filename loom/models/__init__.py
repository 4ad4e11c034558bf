"""loom.models: Model, Functional, Sequential, clone_model, and Keras's load_model / model_from_json."""

from loom.models.cloning import clone_model as clone_model
from loom.models.functional import Functional as Functional
from loom.models.model import Model as Model
from loom.models.sequential import Sequential as Sequential

# loom.saving sits above loom.models; these re-exports give Keras's names their home
# (keras.models.load_model). The classes above are fully imported by now.
from loom.saving.api import load_model as load_model  # noqa: E402
from loom.saving.api import model_from_json as model_from_json  # noqa: E402
from loom.saving.api import save_model as save_model  # noqa: E402
