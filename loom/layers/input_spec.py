"""InputSpec: the rank, dims and dtype a layer accepts, checked at every call."""


class InputSpec:
    """Constraints on one input of a layer.

    Args:
        dtype: expected dtype name, or None for any.
        shape: full expected shape (None entries match anything).
        ndim, max_ndim, min_ndim: rank constraints.
        axes: ``{axis: size}`` for dims that must have a given size.
        allow_last_axis_squeeze: accept a rank one lower/higher when the last
            axis is 1.
        name: the argument name, for messages.
        optional: whether the input may be None.
    """

    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        fields = {k: v for k, v in vars(self).items() if v not in (None, {}, False)}
        return "InputSpec(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"

    def get_config(self) -> dict:
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }


def check_input_spec(input_spec, inputs_shapes: list, layer) -> None:
    """Raise ValueError if any input shape violates the layer's ``input_spec``.

    Args:
        input_spec: an InputSpec, a list of them (one per input), or None.
        inputs_shapes: the shapes of the layer's inputs, in order.
        layer: the layer, for messages.
    """
    if input_spec is None:
        return
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    if len(specs) != len(inputs_shapes) and len(specs) > 1:
        raise ValueError(
            f"{layer.describe()} expects {len(specs)} inputs; received {len(inputs_shapes)} "
            f"(shapes {inputs_shapes})."
        )
    for index, (spec, shape) in enumerate(zip(specs, inputs_shapes)):
        if spec is None or shape is None:
            continue
        _check_one(spec, tuple(shape), index, layer)


def _check_one(spec: InputSpec, shape: tuple, index: int, layer) -> None:
    where = f"{layer.describe()}" + (f", input {index}," if index else "")
    rank = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and rank != spec.ndim:
        raise ValueError(f"{where} expects inputs of rank {spec.ndim}; received shape {shape} (rank {rank}).")
    if spec.max_ndim is not None and rank > spec.max_ndim:
        raise ValueError(f"{where} expects inputs of rank at most {spec.max_ndim}; received shape {shape}.")
    if spec.min_ndim is not None and rank < spec.min_ndim:
        raise ValueError(
            f"{where} expects inputs of rank at least {spec.min_ndim}; received shape {shape} (rank {rank})."
        )
    for axis, size in spec.axes.items():
        if size is None:
            continue
        if -rank <= axis < rank and shape[axis] not in (None, size):
            built = getattr(layer, "_build_shapes_repr", None)
            reason = f" (it was built for inputs of shape {built})" if built else ""
            raise ValueError(
                f"{where} expects axis {axis} of its input to have size {size}{reason}; "
                f"received shape {shape}. A layer's weights are fixed once built: use a new "
                "layer for inputs of a different size, or project them first."
            )
    if spec.shape is not None:
        for expected, actual in zip(spec.shape, shape):
            if expected is not None and actual is not None and expected != actual:
                raise ValueError(f"{where} expects inputs of shape {spec.shape}; received shape {shape}.")
