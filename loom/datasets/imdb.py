"""IMDB: 50,000 movie reviews as word-index sequences, labelled by sentiment (``keras.datasets.imdb``)."""

import json

import numpy as np

from loom.datasets.safe_unpickling import load_npz
from loom.datasets.word_sequences import as_object_array, cap_vocabulary, offset_and_filter, shuffled
from loom.utils.file_download import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"  # sha256
WORD_INDEX_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras publishes it


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads IMDB: 25,000 training and 25,000 test reviews, labels 0 (negative) and 1 (positive).

    A review is a list of word indices, ``index_from`` plus the word's frequency rank
    (``get_word_index`` maps words to ranks); 0 is padding, ``start_char`` starts
    each review and ``oov_char`` replaces words outside the vocabulary.

    Args:
        path: the file's name in the cache.
        num_words: keep the ``num_words`` most frequent words (indices below it); others
            become ``oov_char``. None keeps all.
        skip_top: also treat the ``skip_top`` most frequent indices as out of vocabulary.
        maxlen: drop reviews of ``maxlen`` words or more.
        seed: the seed of the shuffle of each split.
        start_char: the index that starts each review (None: none).
        oov_char: the index of out-of-vocabulary words (None: drop them).
        index_from: added to every word's rank.
        **kwargs: accepted, as in Keras, and ignored.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and int labels.
    """
    data = load_npz(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH))
    rng = np.random.RandomState(seed)
    x_train, labels_train = shuffled(rng, data["x_train"], data["y_train"])
    x_test, labels_test = shuffled(rng, data["x_test"], data["y_test"])
    x_train, labels_train = offset_and_filter(x_train, labels_train, start_char, index_from, maxlen)
    x_test, labels_test = offset_and_filter(x_test, labels_test, start_char, index_from, maxlen)
    if maxlen and (not x_train or not x_test):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. Increase maxlen."
        )
    sequences = cap_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    count = len(x_train)
    return (as_object_array(sequences[:count]), labels_train), (as_object_array(sequences[count:]), labels_test)


def get_word_index(path="imdb_word_index.json"):
    """The word index: ``{word: frequency rank}`` (rank 1 is the most frequent word).

    In the sequences of ``load_data`` a word's index is its rank plus ``index_from`` (3).
    """
    with open(get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)) as handle:
        return json.load(handle)
