"""Reuters: 11,228 newswires as word-index sequences, labelled with one of 46 topics (``keras.datasets.reuters``)."""

import json

import numpy as np

from loom.datasets.safe_unpickling import load_npz
from loom.datasets.word_sequences import as_object_array, cap_vocabulary, offset_and_filter, shuffled
from loom.utils.file_download import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"  # sha256
WORD_INDEX_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras publishes it
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)  # fmt: skip


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Loads the Reuters newswires, shuffled and split into training and test parts.

    Sequences are encoded as in ``loom.datasets.imdb.load_data``.

    Args:
        path: the file's name in the cache.
        num_words: keep indices below ``num_words`` (the most frequent words).
        skip_top: also treat the ``skip_top`` most frequent indices as out of vocabulary.
        maxlen: drop newswires of ``maxlen`` words or more.
        test_split: the fraction of the newswires for the test part.
        seed: the shuffle's seed.
        start_char: the index that starts each sequence (None: none).
        oov_char: the index of out-of-vocabulary words (None: drop them).
        index_from: added to every word's rank.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and
        int topic labels (``get_label_names()[label]``).
    """
    data = load_npz(get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH))
    sequences, labels = shuffled(np.random.RandomState(seed), data["x"], data["y"])
    sequences, labels = offset_and_filter(sequences, labels, start_char, index_from, maxlen)
    sequences = cap_vocabulary(sequences, num_words, skip_top, oov_char)
    count = int(len(sequences) * (1 - test_split))
    return (as_object_array(sequences[:count]), labels[:count]), (as_object_array(sequences[count:]), labels[count:])


def get_word_index(path="reuters_word_index.json"):
    """The word index: ``{word: frequency rank}`` (rank 1 is the most frequent word)."""
    with open(get_file(path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)) as handle:
        return json.load(handle)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES
