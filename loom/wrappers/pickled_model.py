"""PickledModel: a loom model as the bytes of its ``.keras`` file, so fitted estimators pickle.

scikit-learn users pickle fitted estimators (``joblib.dump``, and ``check_estimator``
checks that predictions survive it). Keras models pickle through their saved
file; here the estimator swaps each model for this holder when pickled.
"""

import os
import tempfile

from loom.models.model import Model
from loom.saving.api import load_model


class PickledModel:
    """A model's saved file (architecture, weights, compile settings, optimizer state) as bytes.

    The model's own classes (custom layers, losses, metrics) travel beside the
    bytes as pickle references, so loading finds them without registration.
    """

    def __init__(self, model: Model):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            model.save(path)
            with open(path, "rb") as handle:
                self.data = handle.read()
        self.custom_objects = _custom_objects_of(model)

    def __getstate__(self):
        return {"data": self.data, "custom_objects": self.custom_objects}

    def __setstate__(self, state):
        self.data = state["data"]
        self.custom_objects = state["custom_objects"]

    def restore(self) -> Model:
        """The model, loaded once: a model held twice by the estimator comes back as one object."""
        if getattr(self, "_restored", None) is None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.keras")
                with open(path, "wb") as handle:
                    handle.write(self.data)
                # Unpickling runs code anyway, so a Lambda's source may run too, as Keras unpickles.
                self._restored = load_model(path, custom_objects=self.custom_objects, safe_mode=False)
        return self._restored


def _custom_objects_of(model: Model) -> dict:
    """The classes and functions ``model`` is built and compiled from, by name (built-ins always win on load)."""
    objects = {type(layer).__name__: type(layer) for layer in model._flatten_layers(include_self=True)}
    arguments = getattr(model, "_compile_args", None) or {}
    pending = [getattr(model, "optimizer", None), *arguments.values()]
    while pending:
        value = pending.pop()
        if isinstance(value, (list, tuple)):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif callable(value) and hasattr(value, "__name__"):
            objects[value.__name__] = value  # a function or a class
        elif value is not None and not isinstance(value, str):
            objects[type(value).__name__] = type(value)  # a loss, metric or optimizer instance
    return objects
