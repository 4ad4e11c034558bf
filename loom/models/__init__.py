"""loom.models: Model, Functional, Sequential."""

from loom.models.functional import Functional as Functional
from loom.models.model import Model as Model
from loom.models.sequential import Sequential as Sequential
