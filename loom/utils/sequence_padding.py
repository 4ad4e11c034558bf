"""Sequence padding: Keras's ``pad_sequences``, variable-length sequences as one array."""

import numpy as np

_SIDES = ("pre", "post")


def _check_arguments(sequences, maxlen, dtype, padding, truncating, value) -> None:
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"pad_sequences: `sequences` must be a list (or array) of sequences; received "
            f"{type(sequences).__name__}. Make a list first, e.g. pad_sequences(list(sequences))."
        )
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in _SIDES:
            raise ValueError(f'pad_sequences: `{name}` must be "pre" or "post"; received {name}={given!r}.')
    if maxlen is not None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)):
            raise TypeError(
                f"pad_sequences: `maxlen` must be an int or None (the longest sequence); received maxlen={maxlen!r}."
            )
        if maxlen < 0:
            raise ValueError(f"pad_sequences: `maxlen` must be >= 0; received maxlen={maxlen}.")
    try:
        np_dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(
            f"pad_sequences: `dtype` must be a NumPy dtype such as 'int32'; received dtype={dtype!r}."
        ) from err
    if isinstance(value, str) and np_dtype.kind not in "OSU":
        raise ValueError(
            f"pad_sequences: the padding value {value!r} is a string but dtype={dtype!r} is not. "
            "Pass dtype=object for variable-length strings (or a string dtype)."
        )


def _lengths_and_sample_shape(sequences) -> tuple[list, tuple]:
    """The length of each sequence, and the shape of one step (from the first non-empty one)."""
    lengths, sample_shape = [], None
    for position, sequence in enumerate(sequences):
        if not (hasattr(sequence, "__len__") and hasattr(sequence, "__getitem__")):
            raise ValueError(
                f"pad_sequences: `sequences` must be a list of sequences (lists or arrays); entry {position} is "
                f"{type(sequence).__name__} {sequence!r:.60}. Wrap single values in a list: [[1], [2, 3]]."
            )
        lengths.append(len(sequence))
        if sample_shape is None and len(sequence):
            sample_shape = _as_array(sequence, None, position).shape[1:]
    return lengths, sample_shape or ()


def _as_array(sequence, dtype, position: int) -> np.ndarray:
    try:
        return np.asarray(sequence, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"pad_sequences: sequence {position} cannot be made an array"
            f"{'' if dtype is None else f' of dtype {dtype!r}'}: {err}. "
            "Each sequence must hold steps of one shape and type."
        ) from err


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or truncate) sequences to one length, as a ``(num_samples, maxlen)`` array.

    Args:
        sequences: a list of sequences (each a list or array of steps).
        maxlen: the length of every row; None uses the longest sequence.
        dtype: the output dtype; ``object`` for variable-length strings.
        padding: ``"pre"`` or ``"post"``: pad before or after each sequence.
        truncating: ``"pre"`` or ``"post"``: drop steps from the start or the
            end of sequences longer than ``maxlen``.
        value: the padding value.

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + step_shape``.

    Raises:
        ValueError: an entry is not a sequence, steps differ in shape, or
            ``padding``/``truncating``/``maxlen``/``value`` is invalid.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
        array([[0, 1],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    _check_arguments(sequences, maxlen, dtype, padding, truncating, value)
    lengths, sample_shape = _lengths_and_sample_shape(sequences)
    if maxlen is None:
        # Keras fails on an empty list here; no sequences pad to a (0, 0) array.
        maxlen = max(lengths, default=0)
    padded = np.full((len(sequences), int(maxlen)) + sample_shape, value, dtype=dtype)
    for position, sequence in enumerate(sequences):
        if not len(sequence) or maxlen == 0:  # sequence[-0:] would keep everything
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = _as_array(kept, dtype, position)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"pad_sequences: the steps of sequence {position} have shape {kept.shape[1:]}, but those of the "
                f"first non-empty sequence have shape {sample_shape}. Every step needs the same shape."
            )
        if padding == "post":
            padded[position, : len(kept)] = kept
        else:
            padded[position, -len(kept) :] = kept
    return padded
