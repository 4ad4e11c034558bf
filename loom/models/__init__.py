"""loom.models: Model, Functional, Sequential, clone_model, and Keras's load_model / model_from_json."""

from loom.models.cloning import clone_model as clone_model
from loom.models.functional import Functional as Functional
from loom.models.model import Model as Model
from loom.models.sequential import Sequential as Sequential

# Keras's names for saving, at home here as keras.models.load_model; loom.saving sits below
# loom.models (it finds model classes through its registry, at lookup time).
from loom.saving.api import load_model as load_model
from loom.saving.api import model_from_json as model_from_json
from loom.saving.api import save_model as save_model
