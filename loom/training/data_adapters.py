"""Data adapters: user data (arrays, lists, dicts, batch iterables) checked and shaped for a model."""

import queue
import threading
import warnings

import jax
import numpy as np

from loom.distribution import placement
from loom.graph.symbolic_tensor import SymbolicTensor
from loom.layers.host_prefix import HostEncoded


def _as_array(value, what: str, label: str = "x", strings: bool = False):
    if isinstance(value, SymbolicTensor):
        raise TypeError(
            f"{what} received a symbolic tensor ({value!r}); pass NumPy or JAX arrays with data. "
            "Symbolic tensors only describe a model's graph."
        )
    if isinstance(value, jax.Array):
        return value
    array = np.asarray(value)
    if strings and array.dtype.kind in "USO":
        return array  # for a model's host layers (see layers/host_prefix.py)
    if array.dtype.kind in "USO":
        kind = "strings" if array.dtype.kind in "US" else "Python objects"
        raise TypeError(
            f"{what}: `{label}` must be numeric; received an array of {kind} (dtype {array.dtype}, from "
            f"{type(value).__name__}). Convert it to numbers first (e.g. map strings to integer ids, or "
            "np.asarray(data, dtype='float32') for nested lists of numbers)."
        )
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return array


def _is_nested_numbers(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_nested_numbers(v) for v in value)
    return isinstance(value, (int, float, bool, np.number))


def _is_nested_strings(value) -> bool:
    """A (nested) list of strings: one array of raw text for a model's host layers."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_is_nested_strings(v) for v in value)
    return isinstance(value, (str, bytes, np.str_, np.bytes_))


def convert_inputs(model, x, what: str = "predict"):
    """``x`` with every leaf converted to an array (a list of plain numbers is one array),
    and, for a model with inputs, a trailing size-1 axis added or dropped where the
    model's input has one more or one fewer (as Keras: ``(N, 28, 28)`` data feeds
    ``Input((28, 28, 1))``)."""
    if x is None:
        raise ValueError(f"{what} needs input data `x`; received None.")
    # A model that starts with host layers takes raw strings, which its host prefix
    # turns into the arrays its compiled part reads (see layers/host_prefix.py).
    host = getattr(model, "_host_prefix", None) is not None
    if host and isinstance(x, HostEncoded):
        return x
    if isinstance(x, dict):
        x = {k: _as_array(v, what, strings=host) for k, v in x.items()}
    elif isinstance(x, (list, tuple)):
        single = len(getattr(model, "_fed_inputs", [None])) == 1
        if single and (_is_nested_numbers(x) or host and _is_nested_strings(x)):
            x = _as_array(x, what, strings=host)
        else:
            x = [_as_array(v, what, strings=host) for v in x]
    else:
        x = _as_array(x, what, strings=host)
    x = _adjust_ranks(model, x)
    return model._encode_on_host(x) if host else x


def _adjust_ranks(model, x):
    # Models without a graph yet (an unbuilt Sequential) take the data's shape as it is.
    if getattr(model, "_inputs", None) is None or not hasattr(model, "_adjust_input_ranks"):
        return x
    return model._adjust_input_ranks(x)


def validate_inputs(model, x, what: str = "predict") -> int:
    """Check ``x`` against the model's inputs; returns the number of samples.

    Raises:
        ValueError: wrong number of arrays, unknown or missing dict keys, shapes
            that do not fit the model's inputs, or differing sample counts.
    """
    check = getattr(model, "_check_inputs", None)
    if check is not None and getattr(model, "_inputs", None) is not None:
        check(x, check_batch_dim=False)  # raises on wrong count, unknown keys, bad shapes
    return check_sample_counts(x, what, getattr(model, "_fed_input_names", None))


def check_sample_counts(structure, what: str, names=None) -> int:
    """The shared number of samples (rows) of the arrays in ``structure``."""
    leaves = list(structure.items()) if isinstance(structure, dict) else None
    if leaves is None:
        flat = jax.tree_util.tree_leaves(structure)
        labels = names if names and len(names) == len(flat) else [f"array {i}" for i in range(len(flat))]
        leaves = list(zip(labels, flat))
    counts = {}
    for label, array in leaves:
        if np.ndim(array) == 0:
            raise ValueError(f"{what}: input '{label}' is a scalar; every input needs one row per sample.")
        counts[label] = int(np.shape(array)[0])
    if not counts:
        raise ValueError(f"{what} received no arrays.")
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"'{k}' has {v}" for k, v in counts.items())
        raise ValueError(
            f"{what} received input arrays with different numbers of samples: {detail}. "
            "All arrays must have the same first dimension (one row per sample)."
        )
    count = next(iter(counts.values()))
    if count == 0:
        raise ValueError(f"{what} received empty arrays (0 samples).")
    return count


def slice_rows(structure, start: int, stop: int):
    return jax.tree_util.tree_map(lambda a: a[start:stop], structure)


def fixed_batch_size(model) -> int | None:
    """The batch size baked into the model's inputs (Input(batch_shape=(32, ...))), if any."""
    sizes = {t.shape[0] for t in getattr(model, "_fed_inputs", []) if t.shape and t.shape[0] is not None}
    if len(sizes) > 1:
        raise ValueError(f"Model '{model.name}' has inputs with different fixed batch sizes {sorted(sizes)}.")
    return next(iter(sizes), None)


# --- training data ------------------------------------------------------------------


def is_array_like(value) -> bool:
    return isinstance(value, (np.ndarray, jax.Array)) or (
        isinstance(value, (list, tuple)) and _is_nested_numbers(value)
    )


def _is_one_array(x) -> bool:
    return (
        is_array_like(x)
        or (isinstance(x, (list, tuple)) and _is_nested_strings(x))
        or (hasattr(x, "__array__") and not hasattr(x, "__next__"))
    )


def is_array_data(x) -> bool:
    """Whether ``x`` is arrays (one, or a list/dict of them) rather than batches to iterate.

    A list of arrays is one input per model input; a list of tuples is a list of
    ``(x, y)`` batches.
    """
    if isinstance(x, dict):
        return all(_is_one_array(v) or v is None for v in x.values())
    if isinstance(x, (list, tuple)):
        return _is_nested_numbers(x) or _is_nested_strings(x) or all(_is_one_array(v) or v is None for v in x)
    return _is_one_array(x)


def standardize_targets(y, output_names: list, what: str) -> list:
    """``y`` as a list aligned with the model's outputs (None where an output has no target)."""
    count = len(output_names)
    if y is None:
        return [None] * count
    if isinstance(y, dict):
        unknown = sorted(set(y) - set(output_names))
        if unknown:
            raise ValueError(
                f"{what} received targets for unknown outputs {unknown}; the model's outputs are {output_names}."
            )
        return [None if y.get(name) is None else _as_array(y[name], what, "y") for name in output_names]
    if isinstance(y, (list, tuple)) and count > 1:
        if len(y) != count:
            raise ValueError(
                f"{what} expects {count} target arrays (one per output {output_names}); received {len(y)}."
            )
        return [None if v is None else _as_array(v, what, "y") for v in y]
    if isinstance(y, (list, tuple)) and count == 1 and len(y) == 1 and not _is_nested_numbers(y):
        y = y[0]
    if count > 1:
        raise ValueError(
            f"{what} received one target array but the model has {count} outputs {output_names}; "
            "pass a list with one array per output, or a dict keyed by output name."
        )
    return [_as_array(y, what, "y")]


def standardize_sample_weight(sample_weight, output_names: list, what: str) -> list | None:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, dict):
        return [
            None if sample_weight.get(n) is None else _as_array(sample_weight[n], what, "sample_weight")
            for n in output_names
        ]
    if isinstance(sample_weight, (list, tuple)) and len(output_names) > 1 and not _is_nested_numbers(sample_weight):
        if len(sample_weight) != len(output_names):
            raise ValueError(
                f"{what}: `sample_weight` has {len(sample_weight)} arrays for {len(output_names)} outputs."
            )
        return [None if w is None else _as_array(w, what, "sample_weight") for w in sample_weight]
    weights = _as_array(sample_weight, what, "sample_weight").astype(np.float32)
    return [weights] * len(output_names)


def check_counts(x_count: int, y: list, sample_weight, what: str) -> None:
    for index, target in enumerate(y):
        if target is not None and np.shape(target)[0] != x_count:
            raise ValueError(
                f"{what} received x with {x_count} samples but y{'' if len(y) == 1 else f'[{index}]'} with "
                f"{np.shape(target)[0]} samples; each sample needs one target."
            )
    for weights in sample_weight or []:
        if weights is not None and np.shape(weights)[0] != x_count:
            raise ValueError(
                f"{what} received x with {x_count} samples but sample_weight with {np.shape(weights)[0]}."
            )


def warn_on_nan(structure, label: str, what: str) -> None:
    """Warn (once per array) when float data holds NaN or infinity: training on it diverges."""
    for index, array in enumerate(jax.tree_util.tree_leaves(structure)):
        if np.issubdtype(np.asarray(array).dtype, np.floating) and not np.all(np.isfinite(np.asarray(array))):
            warnings.warn(
                f"{what}: {label}{'' if index == 0 else f'[{index}]'} contains NaN or infinite values; the loss "
                "will become NaN. Clean the data, or add callbacks.TerminateOnNaN() to stop when it does.",
                stacklevel=4,
            )


def split_for_validation(x, y, sample_weight, fraction: float, count: int):
    """Keras's validation_split: the last ``fraction`` of the samples, taken before shuffling."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`validation_split` must be in (0, 1); received {fraction!r}.")
    split = int(count * (1.0 - fraction))
    if split == 0 or split == count:
        raise ValueError(
            f"validation_split={fraction} leaves {split} training and {count - split} validation samples of "
            f"{count}; both parts need at least one sample."
        )

    def cut(structure, start, stop):
        return jax.tree_util.tree_map(lambda a: a[start:stop], structure)

    train = (cut(x, 0, split), cut(y, 0, split), cut(sample_weight, 0, split))
    validation = (cut(x, split, count), cut(y, split, count), cut(sample_weight, split, count))
    return train, validation


def to_device(structure):
    """Arrays on the device; on every device of the mesh under a distribution (each step's
    batch is then split over them inside the compiled program, see ``placement``)."""
    return jax.tree_util.tree_map(placement.put_replicated, structure)


class PrefetchingIterator:
    """Batches from any iterable, converted and moved to the device in a background
    thread while the compiled step runs on the previous batch."""

    _DONE = object()

    def __init__(self, iterable, convert, steps: int | None = None, depth: int = 2):
        self._queue = queue.Queue(maxsize=depth)
        self._convert = convert
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(iter(iterable), steps), daemon=True)
        self._thread.start()

    def _fill(self, iterator, steps):
        produced = 0
        try:
            while not self._stop.is_set() and (steps is None or produced < steps):
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                self._queue.put(("item", self._convert(item)))
                produced += 1
        except BaseException as err:  # noqa: BLE001 - handed to the consuming thread
            self._queue.put(("error", err))
            return
        self._queue.put(("done", None))

    def __iter__(self):
        return self

    def __next__(self):
        kind, value = self._queue.get()
        if kind == "item":
            return value
        if kind == "error":
            raise value
        raise StopIteration

    def close(self):
        self._stop.set()


def require_data(x, what: str) -> None:
    if x is None:
        raise ValueError(f"{what} needs input data `x`; received None.")
    if not is_array_data(x):
        is_one_shot(x)  # raises TypeError for objects that are neither arrays nor iterables


def is_one_shot(dataset) -> bool:
    """Generators and iterators can be traversed once; datasets and loaders re-iterate."""
    try:
        return iter(dataset) is dataset
    except TypeError:
        raise TypeError(
            f"Expected arrays, lists/dicts of arrays, or an iterable of batches; received "
            f"{type(dataset).__name__}."
        ) from None


def batch_count(dataset) -> int | None:
    """Batches per pass of an iterable that knows it (a PyDataset, a list of batches), else None."""
    count = getattr(dataset, "num_batches", None)
    if count is None and hasattr(dataset, "__len__") and not hasattr(dataset, "__next__"):
        count = len(dataset)
    return count if isinstance(count, int) else None
