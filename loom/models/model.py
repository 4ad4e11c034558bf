"""Model: a layer with training and inference methods, built by subclassing or as a graph.

``Model(inputs, outputs)`` returns a ``Functional`` model (as in Keras);
``class MyModel(Model)`` with ``__init__`` and ``call`` gives a subclassed one.
"""

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.layer import Layer, _shape_structure
from loom.models import functional_config
from loom.saving import api as saving_api
from loom.training.trainer import Trainer
from loom.utils import summary as summary_utils

_functional_subclasses = {}


def _is_functional_call(args, kwargs) -> bool:
    if "inputs" in kwargs and "outputs" in kwargs:
        return True
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)


class Model(Trainer, Layer):
    """A model: a layer you can ``compile``, ``fit``, ``predict``, ``save`` and summarize.

    ``Model(inputs, outputs, name=None)`` builds a functional model from symbolic
    tensors; subclass ``Model`` and define ``call`` for imperative models.
    """

    def __new__(cls, *args, **kwargs):
        if _is_functional_call(args, kwargs):
            # The functional model class lives in functional.py, which imports this one.
            from loom.models.functional import Functional

            if cls is Model:
                cls = Functional
            elif not issubclass(cls, Functional):
                # `MyModel(inputs, outputs)` for a Model subclass that defines train_step
                # etc.: give it the functional machinery, keeping its overrides first.
                if cls not in _functional_subclasses:
                    _functional_subclasses[cls] = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__})
                cls = _functional_subclasses[cls]
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__ received unexpected positional arguments {args!r}. "
                "A functional model is created with Model(inputs, outputs); a subclassed model's "
                "__init__ should call super().__init__(**kwargs) with keyword arguments only."
            )
        super().__init__(**kwargs)

    # --- structure ------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """The model's layers, in the order they compute."""
        return self._layers

    def _layer_names(self) -> dict:
        """Display name of each layer (qualified as ``model/layer`` where names repeat)."""
        return {id(layer): layer.name for layer in self.layers}

    def get_layer(self, name: str | None = None, index: int | None = None):
        """A layer by ``name`` (``"inner/dense"`` reaches into nested models) or by ``index``."""
        if index is not None and name is not None:
            raise ValueError("get_layer: pass either `name` or `index`, not both.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: model '{self.name}' has {len(layers)} layers; received index={index}."
                )
            return layers[index]
        if name is None:
            raise ValueError("get_layer needs a `name` or an `index`.")
        names = self._layer_names()
        exact = [layer for layer in layers if names[id(layer)] == name]
        if len(exact) == 1:
            return exact[0]
        bare = [layer for layer in layers if layer.name == name]
        if len(bare) == 1:
            return bare[0]
        if len(bare) > 1:
            raise ValueError(
                f"Model '{self.name}' has {len(bare)} layers named '{name}': "
                f"{sorted(names[id(layer)] for layer in bare)}. Ask for one of these qualified names."
            )
        if "/" in name:
            head, rest = name.split("/", 1)
            inner = self.get_layer(head)
            if isinstance(inner, Model):
                return inner.get_layer(rest)
        raise ValueError(
            f"No layer named '{name}' in model '{self.name}'. Its layers are: "
            f"{[names[id(layer)] for layer in layers]}."
        )

    def _maybe_build(self, args, kwargs) -> None:
        if type(self).build is Model.build:
            # A subclassed model builds its sublayers as its first call reaches them.
            self.built = True
            if self._build_shapes is None:  # what get_build_config saves, to rebuild it when loading
                self._build_shapes = _shape_structure(args[0] if args else next(iter(kwargs.values()), None))
            return
        super()._maybe_build(args, kwargs)

    def build(self, input_shape) -> None:
        """Create the weights of a subclassed model by tracing ``call`` on ``input_shape``."""
        if self.built:
            return
        placeholders = _placeholders(input_shape)
        self.compute_output_spec(placeholders)
        self.built = True
        self._build_shapes = input_shape

    # --- saving (implemented in loom.saving) -------------------------------------------
    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """A model from ``get_config()``; a functional config rebuilds its graph, as in Keras."""
        if isinstance(config, dict) and "layers" in config and "input_layers" in config:
            from loom.models.functional import Functional

            model_class = Functional if cls is Model else cls
            return functional_config.functional_from_config(model_class, config, custom_objects)
        return super().from_config(config)

    def save(self, filepath, overwrite: bool = True, **kwargs) -> None:
        """Save architecture, weights, compile settings and optimizer state, atomically: ``.keras`` in
        Keras 3's format (Keras's ``load_model`` reads it), ``.loom`` in loom's safetensors format;
        see ``loom.saving.save_model``."""
        saving_api.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite: bool = True, include_optimizer: bool = False) -> None:
        """Write the weights atomically: Keras's HDF5 layout for ``.weights.h5``, else safetensors
        (``.weights.safetensors``); see ``loom.saving.save_weights``."""
        saving_api.save_weights(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def load_weights(
        self,
        filepath,
        skip_mismatch: bool = False,
        convert_dtypes: bool = False,
        allow_nonfinite: bool = True,
        by_name: bool = False,
    ) -> None:
        """Load weights saved by ``save_weights`` or ``save``, matched by the model's layer
        structure as Keras matches them (a rebuilt model with new auto-names loads them);
        mismatches raise an error listing them (see ``loom.saving.load_weights``).
        NaN or Inf in the file warns, or raises with ``allow_nonfinite=False``; ``by_name`` matches
        a tf.keras 2 ``.h5`` file's layers by name."""
        saving_api.load_weights(
            self,
            filepath,
            skip_mismatch=skip_mismatch,
            convert_dtypes=convert_dtypes,
            allow_nonfinite=allow_nonfinite,
            by_name=by_name,
        )

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON, for ``loom.models.model_from_json``."""
        return saving_api.model_to_json(self, **kwargs)

    def summary(
        self,
        line_length: int | None = None,
        positions=None,
        print_fn=None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range=None,
    ) -> None:
        """Print a table of the layers, their output shapes, parameter counts and
        connections, with totals (``print_fn`` receives the text instead)."""
        summary_utils.print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )


def _placeholders(input_shape):
    if isinstance(input_shape, dict):
        return {k: _placeholders(v) for k, v in input_shape.items()}
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return [_placeholders(s) for s in input_shape]
    return SymbolicTensor(tuple(input_shape))
