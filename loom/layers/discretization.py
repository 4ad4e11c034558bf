"""Discretization: continuous values bucketed by bin boundaries, given or learned by ``adapt``."""

import itertools

import jax.numpy as jnp
import numpy as np

from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.layer import Layer
from loom.utils import dtypes

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A ``(2, n)`` quantile summary of ``values``: every ``step``-th sorted value beside
    the weight ``step`` it stands for (about ``1/epsilon`` entries)."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1) :: int(step)]
    return np.stack([kept, np.full_like(kept, step)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """``summary`` resampled at cumulative-weight fractions ``epsilon, 2 epsilon, ...``;
    summaries already shorter than ``1/epsilon`` are kept as they are."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    positions = cumulative / cumulative[-1]
    values = np.interp(fractions, positions, summary[0])
    weights = np.diff(np.interp(fractions, positions, cumulative), prepend=0.0)
    return np.stack([values, weights]).astype("float32")


def _merge(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate([first, second], axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(Layer):
    """Maps each value to the index of its bin: ``i`` where ``b[i-1] <= x < b[i]``.

    The boundaries are given as ``bin_boundaries`` or, with ``num_bins``, learned
    from data by ``adapt`` as approximate quantiles (Keras's algorithm, so the same
    data gives the same boundaries).

    Args:
        bin_boundaries: sorted boundaries; ``n`` boundaries make ``n + 1`` bins.
        num_bins: the number of bins ``adapt`` learns.
        epsilon: the quantile summary's error tolerance (smaller is more exact).
        output_mode: "int" (bin ids, int32), "one_hot", "multi_hot" or "count".
        sparse: accepted for Keras compatibility; outputs are dense.

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-1.0, 0.5, 2.0]]))
        Array([[0, 1, 2]], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{self.describe()}: `output_mode` must be one of {_OUTPUT_MODES}; received output_mode={output_mode!r}."
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"{self.describe()}: pass `bin_boundaries` or `num_bins` (then call adapt()), not both; received "
                f"bin_boundaries={bin_boundaries!r} and num_bins={num_bins!r}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{self.describe()} needs `bin_boundaries`, or `num_bins` and a call to adapt(data).")
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 0):
            raise ValueError(f"{self.describe()}: `num_bins` must be an int >= 0; received num_bins={num_bins!r}.")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self._summary = None if bin_boundaries is not None else np.zeros((2, 0), "float32")

    @property
    def output_dtype(self) -> str:
        return "int32" if self.output_mode == "int" else self.compute_dtype

    @property
    def _depth(self) -> int:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def adapt(self, data, steps=None) -> None:
        """Learn ``num_bins`` quantile boundaries from ``data``: an array or an iterable
        of batches (arrays, or ``(x, y)`` tuples whose ``x`` is used)."""
        if self.num_bins is None:
            raise ValueError(
                f"{self.describe()} was given `bin_boundaries`, so it cannot adapt(); construct it with "
                "`num_bins` instead."
            )
        if hasattr(data, "__iter__") and not isinstance(data, np.ndarray) and not hasattr(data, "shape"):
            batches = data if steps is None else itertools.islice(data, steps)
        else:
            batches = [data]
        summary = np.zeros((2, 0), "float32")
        for batch in batches:
            batch = batch[0] if isinstance(batch, tuple) else batch
            summary = _merge(_summarize(np.asarray(batch, "float32"), self.epsilon), summary, self.epsilon)
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"{self.describe()} has no bin boundaries yet: pass `bin_boundaries` or call adapt(data) first."
            )
        x = jnp.asarray(inputs)
        ids = jnp.digitize(x, jnp.asarray(self.bin_boundaries, x.dtype if dtypes.is_float(x.dtype) else "float32"))
        ids = ids.astype("int32")
        if self.output_mode == "int":
            return ids
        return _encode(ids, self.output_mode, self._depth, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]
            return input_shape + (self._depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (self._depth,)
        return (self._depth,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return SymbolicTensor(self.compute_output_shape(inputs.shape), self.output_dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }

    @classmethod
    def from_config(cls, config: dict):
        # An adapted layer has both; the constructor takes one, so the boundaries follow.
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = cls(**config)
        if boundaries is not None:
            layer.bin_boundaries = [float(b) for b in boundaries]
        return layer


def _encode(ids, output_mode: str, depth: int, dtype):
    """Bin ids encoded in JAX with Keras's rules (see ``host_encoding`` for the NumPy twin)."""
    if ids.ndim == 0:
        ids = ids[None]
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return (ids[..., None] == jnp.arange(depth)).astype(dtype)
    encoded = (ids[..., None] == jnp.arange(depth)).astype(dtype)
    reduced = encoded.sum(axis=1 if ids.ndim > 1 else 0)
    return (reduced > 0).astype(dtype) if output_mode == "multi_hot" else reduced
