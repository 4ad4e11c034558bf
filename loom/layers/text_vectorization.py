"""TextVectorization: raw strings standardized, split, made into n-grams and indexed by a vocabulary.

Keras's layer, computed in NumPy and Python on the host (see ``HostLayer``): it is the
usual first layer of a text model, and ``fit``/``predict`` run it on each batch of
raw strings before the compiled part. Its vocabulary and IDF weights are kept in its
config, so they travel inside a saved model.
"""

import re

import numpy as np

from loom.layers import host_encoding
from loom.layers.host_layer import HostLayer, host_array, index_dtype
from loom.layers.index_lookup import StringLookup, _is_iterable_of_batches
from loom.utils import dtypes

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
# The punctuation Keras strips (its regex over ASCII punctuation).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow's whitespace split and lowercasing work on ASCII only; so does this.
_WHITESPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ngrams(tokens: list, widths: tuple) -> list:
    """All n-grams of each width in turn, joined by a space (TensorFlow's ``strings.ngrams``)."""
    return [" ".join(tokens[i : i + n]) for n in widths for i in range(len(tokens) - n + 1)]


class TextVectorization(HostLayer):
    """Maps strings to token indices (``output_mode="int"``) or to one vector per string
    (multi-hot, counts or TF-IDF), through a vocabulary given or learned by ``adapt``.

    Each string is standardized, split into tokens, optionally turned into n-grams,
    then looked up; index 0 is padding ("") and index 1 the OOV token "[UNK]".

    Args:
        max_tokens: the largest vocabulary, padding and OOV tokens included.
        standardize: "lower_and_strip_punctuation" (default), "lower",
            "strip_punctuation", None, or a callable taking and returning a NumPy
            array of strings.
        split: "whitespace" (default), "character", None (each string is one
            token), or a callable mapping a NumPy array of strings to one token
            list per string.
        ngrams: None, an int ``n`` (n-grams of widths 1..n) or a tuple of widths.
        output_mode: "int", "multi_hot", "count" or "tf_idf".
        output_sequence_length: with "int", pad or cut every sequence to this
            length (otherwise to the longest in the batch).
        pad_to_max_tokens: with the other modes, ``max_tokens`` columns even when
            the vocabulary is smaller.
        vocabulary: a list of strings or the path of a text file (read once, here).
        idf_weights: with "tf_idf" and a given vocabulary, one weight per term.
        sparse, ragged: accepted for Keras compatibility (False only).
        encoding: the text encoding of bytes inputs and vocabulary files.

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["foo bar", "bar baz", "baz bada boom"])
        >>> layer([["foo qux bar"], ["qux baz"]])
        array([[4, 1, 3, 0], [1, 2, 0, 0]])
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        **kwargs,
    ):
        kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if not (standardize is None or standardize in _STANDARDIZE or callable(standardize)):
            raise ValueError(
                f"{self.describe()}: `standardize` must be one of {_STANDARDIZE}, None or a callable; received "
                f"standardize={standardize!r}."
            )
        if not (split is None or split in _SPLIT or callable(split)):
            raise ValueError(
                f"{self.describe()}: `split` must be one of {_SPLIT}, None or a callable; received split={split!r}."
            )
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError(
                f"{self.describe()}: `output_mode` must be 'int', 'multi_hot', 'count' or 'tf_idf'; received "
                f"output_mode={output_mode!r}."
            )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool) and ngrams > 0)
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) and n > 0 for n in ngrams))
        ):
            raise ValueError(
                f"{self.describe()}: `ngrams` must be None, a positive int or a tuple of them; received ngrams={ngrams!r}."
            )
        if output_sequence_length is not None and (
            output_mode != "int"
            or isinstance(output_sequence_length, bool)
            or not isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                f"{self.describe()}: `output_sequence_length` must be an int and is used only with output_mode='int'; "
                f"received output_sequence_length={output_sequence_length!r} with output_mode={output_mode!r}."
            )
        if sparse or ragged:
            raise ValueError(
                f"{self.describe()}: sparse and ragged outputs need TensorFlow tensors; loom's outputs are dense. "
                "Pass sparse=False and ragged=False (int outputs are padded with 0)."
            )
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self._ngram_widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            encoding=encoding,
            name=f"{self.name}_lookup",
        )

    @property
    def output_dtype(self) -> str:
        return index_dtype() if self.output_mode == "int" else dtypes.floatx()

    # --- text to tokens -------------------------------------------------------------
    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        if callable(self.standardize):
            return np.asarray(self.standardize(strings.astype(str)))
        flat = [str(s) for s in strings.reshape(-1).tolist()]
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        return np.array(flat, dtype=object).reshape(strings.shape)

    def _token_rows(self, inputs) -> list | np.ndarray:
        """Tokens per string: a list of token lists (split), or the strings' array (split=None)."""
        strings = host_array(inputs, self.describe())
        if strings.dtype.kind not in "UO":
            raise TypeError(f"{self.describe()} takes strings; received an array of dtype {strings.dtype}.")
        strings = self._standardized(strings)
        if self.split is None:
            rows = strings if self._ngram_widths is None else [[str(s)] for s in strings.reshape(-1).tolist()]
        else:
            if strings.ndim > 1:
                if strings.shape[-1] != 1:
                    raise ValueError(
                        f"{self.describe()} splits one string per sample: inputs of shape (batch,) or (batch, 1); "
                        f"received shape {strings.shape}."
                    )
                strings = strings[..., 0]
            strings = strings.reshape(-1)
            if callable(self.split):
                rows = [[str(t) for t in row] for row in self.split(strings.astype(str))]
            elif self.split == "whitespace":
                rows = [[t for t in _WHITESPACE.split(str(s)) if t] for s in strings.tolist()]
            else:
                rows = [list(str(s)) for s in strings.tolist()]
        if self._ngram_widths is not None:
            rows = [_ngrams(list(row), self._ngram_widths) for row in rows]
        return rows

    # --- vocabulary -----------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learn the vocabulary (and IDF weights for "tf_idf") from strings: an array or
        list of them, or an iterable of batches (``(x, y)`` tuples use ``x``)."""
        if _is_iterable_of_batches(data):
            batches = data
        else:
            batches = [np.asarray(data, dtype=object).reshape(-1, 1) if np.ndim(data) <= 1 else data]

        def rows():
            for index, batch in enumerate(batches):
                if steps is not None and index >= steps:
                    return
                batch = batch[0] if isinstance(batch, tuple) else batch
                token_rows = self._token_rows(np.asarray(batch, dtype=object))
                if isinstance(token_rows, np.ndarray):
                    token_rows = token_rows.reshape(len(token_rows), -1).tolist()
                yield from token_rows

        if self._lookup_layer._has_input_vocabulary:
            raise ValueError(
                f"{self.describe()} was given a `vocabulary`, so it cannot adapt(); construct it without one."
            )
        self._lookup_layer._learn(rows())

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (padding "" and "[UNK]" first when included)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Replace the vocabulary (a list, or a text file's path, read now) and IDF weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    # --- call -----------------------------------------------------------------------
    def call(self, inputs):
        rows = self._token_rows(inputs)
        if isinstance(rows, np.ndarray):
            return self._lookup_layer(rows)
        length = max((len(row) for row in rows), default=0)
        if self.output_mode == "int" and self.output_sequence_length is not None:
            length = self.output_sequence_length
            rows = [row[:length] for row in rows]
        # "" is the mask token: padding looks up as index 0 (dropped by the other modes).
        padded = np.full((len(rows), length), "", dtype=object)
        for index, row in enumerate(rows):
            padded[index, : len(row)] = row
        if self.output_mode == "int":
            return self._lookup_layer(padded)
        if length == 0:
            padded = np.full((len(rows), 1), "", dtype=object)
        return self._lookup_layer(padded)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            if self.split is None and self._ngram_widths is None:
                return input_shape
            return (input_shape[0] if input_shape else None, self.output_sequence_length)
        if self.split is None and self._ngram_widths is None:
            return host_encoding.encoded_shape(input_shape, self.output_mode, self._lookup_layer._depth())
        return (input_shape[0] if input_shape else None, self._lookup_layer._depth())

    def get_config(self) -> dict:
        lookup = self._lookup_layer.get_config()
        return {
            **super().get_config(),
            "max_tokens": lookup["max_tokens"],
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": lookup["pad_to_max_tokens"],
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup["vocabulary"],
            "idf_weights": lookup["idf_weights"],
            "encoding": self.encoding,
        }
