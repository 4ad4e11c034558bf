"""IntegerLookup and StringLookup: a vocabulary maps tokens to indices (or back, with ``invert``).

Both follow Keras's ``IndexLookup``: the index space starts with the mask token
(``output_mode="int"`` only), then ``num_oov_indices`` out-of-vocabulary slots, then
the vocabulary; ``adapt`` orders tokens by count (ties: higher token first) and keeps
the ``max_tokens`` most frequent. They run on the host (see ``HostLayer``).

The vocabulary (and the TF-IDF weights) live in the layer's config, so a saved model
carries them: a vocabulary file is read once, when the layer is constructed, and its
path is never stored or read again.
"""

import collections
import itertools
import os

import numpy as np

from loom.layers import host_encoding
from loom.layers.host_layer import HostLayer, index_dtype
from loom.layers.string_hashing import farmhash64, hash_values, siphash64
from loom.utils import dtypes

_OUTPUT_MODES = ("int",) + host_encoding.ENCODED_MODES
_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def _is_iterable_of_batches(data) -> bool:
    """Keras's rule: lists, tuples and arrays are one batch of data; other iterables
    (generators, datasets) are iterated batch by batch."""
    return (
        hasattr(data, "__iter__")
        and not isinstance(data, (list, tuple, np.ndarray, str, bytes))
        and not hasattr(data, "shape")
    )


class IndexLookup(HostLayer):
    """The shared machinery of ``IntegerLookup`` and ``StringLookup`` (not public)."""

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary_dtype,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_size", None)  # Keras writes it; the vocabulary says it
        super().__init__(**kwargs)
        output_mode = _ALIASES.get(output_mode, output_mode)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{self.describe()}: `output_mode` must be one of {_OUTPUT_MODES}; received output_mode={output_mode!r}."
            )
        if max_tokens is not None and (
            isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens <= 1
        ):
            raise ValueError(f"{self.describe()}: `max_tokens` must be an int > 1 or None; received {max_tokens!r}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{self.describe()}: `pad_to_max_tokens=True` needs `max_tokens`; received max_tokens=None."
            )
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise ValueError(
                f"{self.describe()}: `num_oov_indices` must be an int >= 0; received num_oov_indices={num_oov_indices!r}."
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{self.describe()}: `oov_method` must be 'floormod' or 'farmhash'; received oov_method={oov_method!r}."
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"{self.describe()}: `invert=True` maps indices back to tokens, so `output_mode` must be 'int'; "
                f"received output_mode={output_mode!r}."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{self.describe()}: `idf_weights` are used only with output_mode='tf_idf'; received "
                f"output_mode={output_mode!r}."
            )
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(
                f"{self.describe()}: with output_mode='tf_idf', a given `vocabulary` needs `idf_weights` too "
                "(or call adapt(data) to learn both)."
            )
        if salt is not None:
            if isinstance(salt, (list, tuple)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(f"{self.describe()}: `salt` must be an int or a pair of ints; received salt={salt!r}.")
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.vocabulary_dtype = vocabulary_dtype
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = salt
        self._has_input_vocabulary = vocabulary is not None
        self._tokens = None
        self._index = {}
        self._idf_weights = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # --- vocabulary -----------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self) -> list:
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices

    def _as_tokens(self, values) -> list:
        """Tokens as Python values of the vocabulary's kind (str or int)."""
        raise NotImplementedError

    def _read_vocabulary_file(self, path: str) -> list:
        raise NotImplementedError

    def vocabulary_size(self) -> int:
        """The size of the index space: mask and OOV slots plus the vocabulary."""
        return self._token_start_index() + (0 if self._tokens is None else len(self._tokens))

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order; with ``include_special_tokens`` a token's
        position equals its index (mask and OOV tokens first)."""
        tokens = list(self._tokens or [])
        return self._special_tokens() + tokens if include_special_tokens else tokens

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Replace the vocabulary (a list, array, or the path of a text file with one
        token per line, read now) and, for output_mode='tf_idf', its IDF weights."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{self.describe()}: output_mode='tf_idf' needs `idf_weights` with the vocabulary.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{self.describe()}: `idf_weights` are used only with output_mode='tf_idf'.")
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_vocabulary_file(os.fspath(vocabulary))
        vocabulary = self._as_tokens(
            np.asarray(vocabulary).reshape(-1).tolist() if not isinstance(vocabulary, list) else vocabulary
        )
        if not vocabulary:
            raise ValueError(f"{self.describe()}: cannot set an empty vocabulary.")
        special = self._special_tokens()
        has_special = vocabulary[: len(special)] == special
        tokens = vocabulary[len(special) :] if has_special else vocabulary
        repeated = [token for token, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(f"{self.describe()}: the vocabulary repeats the terms {repeated[:10]}; give each once.")
        for name, token in (("mask_token", self.mask_token), ("oov_token", self.oov_token if self.invert else None)):
            if token is not None and token in tokens:
                raise ValueError(
                    f"{self.describe()}: the vocabulary contains the reserved {name} {token!r} among its terms. Leave "
                    f"mask and OOV tokens out, or put them only at the start in this order: {special}."
                )
        if self.max_tokens is not None and len(special) + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{self.describe()}: the vocabulary has {len(special) + len(tokens)} entries with the special tokens, "
                f"more than max_tokens={self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(idf_weights, np.float64).reshape(-1)
            if len(weights) != len(vocabulary):
                raise ValueError(
                    f"{self.describe()}: `idf_weights` has {len(weights)} values for a vocabulary of {len(vocabulary)}."
                )
            if not has_special:
                # The mask/OOV slots get the mean weight, as Keras pads them.
                weights = np.concatenate([np.full(self._token_start_index(), weights.mean()), weights])
            self._idf_weights = weights

    def _set_tokens(self, tokens: list) -> None:
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {token: start + i for i, token in enumerate(self._tokens)}

    # --- adapt ----------------------------------------------------------------------
    def adapt(self, data, steps=None) -> None:
        """Learn the vocabulary (and document frequencies for 'tf_idf') from ``data``:
        an array or list (one batch), or an iterable of batches (``(x, y)`` tuples use ``x``)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"{self.describe()} was given a `vocabulary`, so it cannot adapt(); construct it without one."
            )
        if _is_iterable_of_batches(data):
            batches, single = (data if steps is None else itertools.islice(data, steps)), False
        else:
            batches, single = [data], True

        def rows():
            for batch in batches:
                batch = np.asarray(batch[0] if isinstance(batch, tuple) else batch)
                # A lone array of rank 1 is one token per document; a batch of rank <= 1 one document.
                if batch.ndim == 0 or (batch.ndim == 1 and not single):
                    batch = batch.reshape(1, -1)
                elif batch.ndim == 1:
                    batch = batch.reshape(-1, 1)
                yield from (row.reshape(-1).tolist() for row in batch)

        self._learn(rows())

    def _learn(self, rows) -> None:
        """Learn the vocabulary from documents, each a list of tokens."""
        counts, document_counts, documents = collections.Counter(), collections.Counter(), 0
        for row in rows:
            row = self._as_tokens(row)
            counts.update(row)
            if self.output_mode == "tf_idf":
                document_counts.update(set(row))
                documents += 1
        for token in (self.mask_token, self.oov_token):
            counts.pop(token, None)
        # By count, then by token, both descending (Keras: lexsort reversed).
        ordered = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens:
            ordered = ordered[: self.max_tokens - self._token_start_index()]
        tokens = [token for token, _ in ordered]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            frequency = np.array([document_counts[t] for t in tokens], np.float64)
            idf = np.log(1 + documents / (1 + frequency))
            mean = idf.mean() if idf.size else 0.0
            self._idf_weights = np.concatenate([np.full(self._token_start_index(), mean), idf])

    # --- lookup ---------------------------------------------------------------------
    @property
    def output_dtype(self) -> str:
        if self.output_mode != "int":
            return dtypes.floatx()
        if self.invert:
            return "string" if self.vocabulary_dtype == "string" else index_dtype()
        return index_dtype()

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        return self.vocabulary_size() if self._tokens is not None else None

    def _lookup(self, inputs: np.ndarray) -> np.ndarray:
        flat = self._as_tokens(inputs.reshape(-1).tolist())
        unique = list(dict.fromkeys(flat))
        found = {token: self._index.get(token, -1) for token in unique}
        ids = np.array([found[token] for token in flat], np.int64).reshape(inputs.shape)
        is_mask = None
        if self.mask_token is not None:
            is_mask = np.array([token == self.mask_token for token in flat], bool).reshape(inputs.shape)
        missing = ids == -1
        if is_mask is not None:
            missing &= ~is_mask
        if missing.any():
            if self.num_oov_indices == 0:
                oov = sorted({str(t) for t, m in zip(flat, missing.reshape(-1)) if m})[:10]
                raise ValueError(
                    f"{self.describe()} has num_oov_indices=0, so every input must be in the vocabulary; found "
                    f"out-of-vocabulary values {oov}. Set num_oov_indices=1 to map them to an OOV index."
                )
            ids = np.where(missing, self._oov_indices(inputs) + self._oov_start_index(), ids)
        if is_mask is not None:
            # Non-int modes drop the mask: an index past the encoding's depth encodes to zeros.
            ids = np.where(is_mask, 0 if self.output_mode == "int" else np.iinfo(np.int64).max, ids)
        return ids

    def _oov_indices(self, inputs: np.ndarray) -> np.ndarray:
        if self.num_oov_indices == 1:
            return np.zeros(inputs.shape, np.int64)
        if self.vocabulary_dtype != "string" and self.oov_method == "floormod":
            return np.mod(inputs.astype(np.int64), self.num_oov_indices)
        if self.salt is not None:
            key = tuple(self.salt)
            hashes = hash_values(inputs, lambda data: siphash64(key, data))
        else:
            hashes = hash_values(inputs, farmhash64)
        return (hashes % np.uint64(self.num_oov_indices)).astype(np.int64)

    def _invert(self, inputs: np.ndarray) -> np.ndarray:
        vocabulary = self.get_vocabulary()
        ids = inputs.astype(np.int64)
        flat = [
            vocabulary[i] if self._token_start_index() <= i < len(vocabulary) else self.oov_token
            for i in ids.reshape(-1).tolist()
        ]
        if self.mask_token is not None:
            flat = [self.mask_token if i == 0 else token for i, token in zip(ids.reshape(-1).tolist(), flat)]
        dtype = object if self.vocabulary_dtype == "string" else np.int64
        return np.array(flat, dtype=dtype).reshape(inputs.shape)

    def call(self, inputs):
        if self._tokens is None and not (self.output_mode == "int" and not self.invert and self.num_oov_indices):
            raise RuntimeError(
                f"{self.describe()} has no vocabulary yet: pass `vocabulary=` or call adapt(data) before calling it."
            )
        if self._tokens is None:
            self._set_tokens([])
        inputs = np.asarray(inputs)
        if self.invert:
            result = self._invert(inputs)
            return result if self.vocabulary_dtype == "string" else self._cast_output(result)
        ids = self._lookup(inputs)
        if self.output_mode == "int":
            return self._cast_output(ids)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        encoded = host_encoding.encode(ids, mode, self._depth(), "float64")
        if self.output_mode == "tf_idf":
            weights = np.zeros(self._depth())
            weights[: len(self._idf_weights)] = self._idf_weights[: self._depth()]
            encoded = encoded * weights
        return encoded.astype(self.output_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return host_encoding.encoded_shape(input_shape, self.output_mode, self._depth())

    @property
    def idf_weights(self):
        """The TF-IDF weights per index (mask/OOV slots included), or None."""
        return None if self._idf_weights is None else self._idf_weights.astype(dtypes.floatx())

    def get_config(self) -> dict:
        # The vocabulary (with its special tokens) and IDF weights are part of the config,
        # so a saved model needs no file beside it.
        vocabulary = self.get_vocabulary() if self._tokens is not None else None
        idf_weights = None
        if self._idf_weights is not None and vocabulary is not None:
            idf_weights = np.asarray(self._idf_weights[: len(vocabulary)], np.float32)
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": vocabulary,
            "idf_weights": idf_weights,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }


class IntegerLookup(IndexLookup):
    """Maps integer tokens to contiguous indices through a vocabulary (or back, with ``invert``).

    Args:
        max_tokens: the largest vocabulary ``adapt`` keeps, mask and OOV slots included.
        num_oov_indices: indices for out-of-vocabulary tokens (several: by ``x mod n``,
            or FarmHash64 with ``oov_method="farmhash"``); 0 makes OOV an error.
        mask_token: a token mapped to index 0 (dropped by the non-int modes).
        oov_token: the token ``invert`` returns for OOV indices (default -1).
        vocabulary: a list or array of ints, or the path of a text file (one per line,
            read at construction).
        vocabulary_dtype: "int64" (the only kind, as in Keras).
        idf_weights: with output_mode="tf_idf", one weight per vocabulary entry.
        invert: map indices to tokens.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        sparse: accepted for Keras compatibility; outputs are dense.
        pad_to_max_tokens: encode to ``max_tokens`` columns even when the vocabulary is smaller.
        oov_method: "floormod" or "farmhash".
        salt: keys SipHash64 for ``oov_method="farmhash"``.

    Example:
        >>> IntegerLookup(vocabulary=[12, 36, 1138, 42])(np.array([[12, 1138, 42], [42, 1000, 36]]))
        array([[1, 3, 4], [4, 0, 2]])
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup supports vocabulary_dtype='int64' only; received {vocabulary_dtype!r}.")
        super().__init__(
            max_tokens,
            num_oov_indices,
            None if mask_token is None else int(mask_token),
            None if oov_token is None else int(oov_token),
            vocabulary_dtype,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            **kwargs,
        )

    def _as_tokens(self, values) -> list:
        return [int(v) for v in values]

    def _read_vocabulary_file(self, path: str) -> list:
        with open(path, encoding="utf-8") as handle:
            return [int(line) for line in handle.read().splitlines() if line.strip()]

    def get_config(self) -> dict:
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}


class StringLookup(IndexLookup):
    """Maps string tokens to contiguous indices through a vocabulary (or back, with ``invert``).

    Args:
        max_tokens: the largest vocabulary ``adapt`` keeps, mask and OOV slots included.
        num_oov_indices: indices for out-of-vocabulary tokens (several: by FarmHash64,
            or SipHash64 keyed by ``salt``); 0 makes OOV an error.
        mask_token: a token mapped to index 0 (dropped by the non-int modes).
        oov_token: the token ``invert`` returns for OOV indices (default "[UNK]").
        vocabulary: a list or array of strings, or the path of a text file (one token
            per line, read once at construction and kept in the layer's config).
        idf_weights: with output_mode="tf_idf", one weight per vocabulary entry.
        invert: map indices to tokens.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: encode to ``max_tokens`` columns even when the vocabulary is smaller.
        sparse: accepted for Keras compatibility; outputs are dense.
        encoding: the text encoding of bytes inputs and vocabulary files.
        salt: keys SipHash64 for several OOV indices.

    Example:
        >>> StringLookup(vocabulary=["a", "b", "c", "d"])(np.array([["a", "c", "d"], ["d", "z", "b"]]))
        array([[1, 3, 4], [4, 0, 2]])
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        salt=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(
            max_tokens,
            num_oov_indices,
            mask_token,
            oov_token,
            "string",
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            salt=salt,
            **kwargs,
        )

    def _as_tokens(self, values) -> list:
        return [v.decode(self.encoding) if isinstance(v, bytes) else str(v) for v in values]

    def _read_vocabulary_file(self, path: str) -> list:
        with open(path, encoding=self.encoding) as handle:
            lines = handle.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("oov_method")
        return {**config, "encoding": self.encoding}
