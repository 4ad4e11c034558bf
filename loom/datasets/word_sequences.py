"""The word-index sequences of IMDB and Reuters: offset, filtered by length, capped in vocabulary."""

import numpy as np


def offset_and_filter(sequences, labels, start_char, index_from, maxlen):
    """Keras's first step: ``start_char`` in front, ``index_from`` added to every index, and
    sequences of ``maxlen`` words or more dropped. Returns ``(list of lists, labels array)``."""
    if start_char is not None:
        sequences = [[start_char] + [w + index_from for w in x] for x in sequences]
    elif index_from:
        sequences = [[w + index_from for w in x] for x in sequences]
    else:
        sequences = [list(x) for x in sequences]
    labels = np.asarray(labels)
    if maxlen:
        kept = [i for i, x in enumerate(sequences) if len(x) < maxlen]
        sequences, labels = [sequences[i] for i in kept], labels[kept]
    return sequences, labels


def cap_vocabulary(sequences, num_words, skip_top, oov_char):
    """Indices outside ``[skip_top, num_words)`` become ``oov_char``, or are dropped if it is None.
    ``num_words`` None keeps every index below the largest."""
    if not num_words:
        num_words = max(max(x) for x in sequences if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]
    return [[w for w in x if skip_top <= w < num_words] for x in sequences]


def as_object_array(sequences) -> np.ndarray:
    """A 1-D object array of lists (``np.array`` would make sequences of equal length a 2-D array)."""
    array = np.empty(len(sequences), dtype=object)
    array[:] = sequences
    return array


def shuffled(rng, *arrays):
    """The arrays reordered by one permutation drawn from ``rng``, as Keras shuffles them."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]
