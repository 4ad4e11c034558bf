"""Hashing and HashedCrossing: values (or crossed pairs of values) hashed into bins, as Keras."""

import numpy as np

from loom.layers import host_encoding
from loom.layers.host_layer import HostLayer
from loom.layers.string_hashing import farmhash64, fingerprint_cat64, hash_values, siphash64
from loom.utils import dtypes

# TensorFlow's default key for sparse.cross_hashed, which Keras's HashedCrossing uses.
_CROSS_HASH_KEY = 0xDECAFCAFFE


def _check_output_mode(layer, output_mode, allowed) -> None:
    if output_mode not in allowed:
        raise ValueError(
            f"{layer.describe()}: `output_mode` must be one of {allowed}; received output_mode={output_mode!r}."
        )


def _check_num_bins(layer, num_bins) -> int:
    if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or num_bins <= 0:
        raise ValueError(f"{layer.describe()}: `num_bins` must be a positive int; received num_bins={num_bins!r}.")
    return int(num_bins)


class Hashing(HostLayer):
    """Hashes strings or integers into ``num_bins`` bins with FarmHash64, or with keyed
    SipHash64 when ``salt`` is given: the bins Keras (through TensorFlow) gives.

    Integers are hashed as their decimal text and floats are truncated to integers
    first, as Keras does. Runs on the host (see ``HostLayer``).

    Args:
        num_bins: the number of bins, including the mask bin when ``mask_value`` is set.
        mask_value: a value mapped to bin 0 (the others then fill bins 1 .. num_bins-1).
        salt: an int or a pair of ints keying SipHash64 (an int ``s`` means ``[s, s]``).
        output_mode: "int" (bin ids), "one_hot", "multi_hot" or "count".
        sparse: accepted for Keras compatibility; outputs are dense.

    Example:
        >>> Hashing(num_bins=3)([["A"], ["B"], ["C"]])
        array([[1], [0], [1]])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        self.num_bins = _check_num_bins(self, num_bins)
        _check_output_mode(self, output_mode, ("int",) + host_encoding.ENCODED_MODES[:3])
        if salt is not None:
            if isinstance(salt, (list, tuple)) and len(salt) == 2 and all(isinstance(s, int) for s in salt):
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"{self.describe()}: `salt` must be an int or a pair of ints; received salt={salt!r}.")
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    @property
    def output_dtype(self) -> str:
        return super().output_dtype if self.output_mode == "int" else dtypes.floatx()

    def call(self, inputs):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = inputs == np.asarray(self.mask_value, dtype=inputs.dtype if inputs.dtype.kind != "U" else None)
        if self.salt is None:
            hashes = hash_values(inputs, farmhash64)
        else:
            key = tuple(self.salt)
            hashes = hash_values(inputs, lambda data: siphash64(key, data))
        ids = (hashes % np.uint64(bins)).astype(np.int64)
        if mask is not None:
            ids = np.where(mask, 0, ids + 1)
        if self.output_mode == "int":
            return self._cast_output(ids)
        return host_encoding.encode(ids, self.output_mode, self.num_bins, self.output_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if not input_shape:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


class HashedCrossing(HostLayer):
    """Crosses two or more categorical features (strings or ints) by hashing each
    combination into ``num_bins`` bins, as Keras (TensorFlow's ``sparse.cross_hashed``).

    Args:
        num_bins: the number of bins.
        output_mode: "int" (bin ids) or "one_hot".
        sparse: accepted for Keras compatibility; outputs are dense.

    Call arguments:
        inputs: a tuple or list of at least two arrays of equal shape: ``()``,
            ``(batch,)`` or ``(batch, 1)``.

    Example:
        >>> HashedCrossing(num_bins=5)((np.array(["A", "B"]), np.array([101, 101])))
        array([1, 4])
    """

    _takes_several_inputs = True

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        self.num_bins = _check_num_bins(self, num_bins)
        _check_output_mode(self, output_mode, ("int", "one_hot"))
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    @property
    def output_dtype(self) -> str:
        return super().output_dtype if self.output_mode == "int" else dtypes.floatx()

    def _check_inputs(self, shapes) -> None:
        if not isinstance(shapes, (list, tuple)) or len(shapes) < 2 or not all(isinstance(s, tuple) for s in shapes):
            raise ValueError(
                f"{self.describe()} crosses a list or tuple of at least two inputs; received {shapes!r}. "
                "Call it as HashedCrossing(num_bins)((feature_a, feature_b))."
            )
        first = tuple(shapes[0])
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1) or any(tuple(s) != first for s in shapes[1:]):
            raise ValueError(
                f"{self.describe()}: every input must have the same shape, (), (batch,) or (batch, 1); "
                f"received shapes {[tuple(s) for s in shapes]}."
            )

    def build(self, input_shape) -> None:
        self._check_inputs(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_inputs([np.shape(v) for v in inputs])
        columns = []
        for value in inputs:
            if value.dtype.kind in "iu":
                columns.append(value.astype(np.int64).view(np.uint64).reshape(-1))
            elif value.dtype.kind in "UO":
                columns.append(hash_values(value, farmhash64).reshape(-1))
            else:
                raise TypeError(f"{self.describe()} crosses integer or string features; received dtype {value.dtype}.")
        crossed = []
        for row in zip(*(column.tolist() for column in columns)):
            hashed = _CROSS_HASH_KEY
            for feature in row:
                hashed = fingerprint_cat64(hashed, feature)
            crossed.append(hashed % self.num_bins)
        ids = np.asarray(crossed, np.int64).reshape(np.shape(inputs[0]))
        if self.output_mode == "int":
            return self._cast_output(ids)
        return host_encoding.encode(ids, "one_hot", self.num_bins, self.output_dtype)

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if not first:
            return (self.num_bins,)
        return (first if first[-1] != 1 else first[:-1]) + (self.num_bins,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
