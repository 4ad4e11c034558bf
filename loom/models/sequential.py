"""Sequential: a functional model built one layer at a time, each fed by the last."""

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.input_layer import InputLayer
from loom.layers.layer import Layer
from loom.models import functional_config
from loom.models.functional import Functional


class Sequential(Functional):
    """A linear stack of layers.

    Args:
        layers: layers to add in order; the first may be an ``Input``/``InputLayer``
            or carry ``input_shape=``. Without an input shape the model is built
            on its first call, from the data's shape.
        name: the model's name.

    Example:
        >>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(1)])
        >>> model.output_shape
        (None, 1)
    """

    # Keras's Sequential feeds its layers whatever shape they accept (a sequence model built
    # on length 6 runs on length 3); the layers' own checks report real mismatches.
    _checks_input_dims = False

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._tensors = []  # the output tensor of each layer in _stack, once there is an input
        self._operations = []
        self.built = False
        for layer in layers or []:
            self.add(layer)

    # --- assembling -----------------------------------------------------------------
    @property
    def _has_input(self) -> bool:
        return bool(self._stack) and isinstance(self._stack[0], InputLayer)

    def add(self, layer) -> None:
        """Append a layer; with a known input shape the graph grows at once."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.operation, InputLayer):
            layer = layer.operation
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a layer instance; received {type(layer).__name__} {layer!r}. "
                "Create the layer first, e.g. model.add(Dense(8))."
            )
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError(
                    f"Sequential '{self.name}': an InputLayer can only be the first layer; the model "
                    f"already has {len(self._stack)} layer(s)."
                )
            self._push(layer, layer.output)
            return
        if not self._stack and layer._batch_input_shape is not None:
            first = InputLayer(batch_shape=layer._batch_input_shape, dtype=layer._input_dtype)
            self._push(first, first.output)
        if self._has_input:
            self._push(layer, layer(self._tensors[-1]))  # a failing call adds nothing
        else:
            self._stack.append(layer)

    def _push(self, layer, output) -> None:
        self._stack.append(layer)
        self._tensors.append(output)
        self._init_graph(self._tensors[0], output)

    def pop(self):
        """Remove and return the last layer."""
        if not self.layers:
            raise IndexError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._stack.pop()
        if self._has_input:
            self._tensors.pop()
            self._init_graph(self._tensors[0], self._tensors[-1])
        return layer

    def build(self, input_shape=None) -> None:
        """Build the graph from an input shape (batch dim included)."""
        if self._has_input:
            return
        if input_shape is None:
            raise ValueError(
                f"Sequential '{self.name}' has no input shape. Pass one to build((None, ...)), start "
                "with Input(shape=...), or call the model on data."
            )
        layers, self._stack, self._tensors = self._stack, [], []
        self.add(InputLayer(batch_shape=(None,) + tuple(input_shape)[1:]))
        for layer in layers:
            self.add(layer)

    def _maybe_build(self, args, kwargs) -> None:
        if not self._has_input:
            first = args[0] if args else next(iter(kwargs.values()))
            self.build(tuple(first.shape))
        self.built = True

    # --- structure ------------------------------------------------------------------
    def _require_input(self) -> None:
        if not self._has_input:
            raise ValueError(
                f"Sequential model '{self.name}' has no defined input yet: start it with "
                "Input(shape=...), give its first layer input_shape=..., or call it on data."
            )

    @property
    def inputs(self) -> list:
        self._require_input()
        return super().inputs

    @property
    def outputs(self) -> list:
        self._require_input()
        return super().outputs

    @property
    def input(self):
        self._require_input()
        return super().input

    @property
    def output(self):
        self._require_input()
        return super().output

    @property
    def layers(self) -> list:
        """The layers, without the InputLayer (as Keras)."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    @property
    def _layers(self) -> list:
        return list(self._stack)

    def _layer_names(self) -> dict:
        return {id(layer): layer.name for layer in self._stack}

    def get_config(self) -> dict:
        """Keras 3's Sequential config: the layers (InputLayer first) and the build shape."""
        return functional_config.get_sequential_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        return functional_config.sequential_from_config(cls, config, custom_objects)
