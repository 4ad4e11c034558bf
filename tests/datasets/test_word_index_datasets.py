"""IMDB and Reuters: ragged word-index sequences in npz files, and their word indices."""

import json

import numpy as np
import pytest

from loom.datasets import imdb, reuters
from tests.datasets.dataset_files import assert_same_data, ragged


def _write_imdb(path, seed=0):
    rng = np.random.default_rng(seed)
    x_train, x_test = ragged(rng, 8), ragged(rng, 6)
    np.savez(path, x_train=x_train, y_train=rng.integers(0, 2, 8), x_test=x_test, y_test=rng.integers(0, 2, 6))


def _write_reuters(path, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(path, x=ragged(rng, 15), y=rng.integers(0, 46, 15))


IMDB_ARGUMENTS = [
    {},
    dict(num_words=10, skip_top=2, seed=7),
    dict(maxlen=8, oov_char=None),
    dict(start_char=None, index_from=0),
]


@pytest.mark.parametrize("kwargs", IMDB_ARGUMENTS, ids=str)
def test_imdb_matches_keras(kwargs, cached, keras_cache):
    keras, keras_folder = keras_cache
    _write_imdb(keras_folder / "imdb.npz", seed=1)
    cached(imdb, "imdb.npz", keras_folder / "imdb.npz")
    ours = imdb.load_data(**kwargs)
    assert ours[0][0].dtype == object and ours[0][0].ndim == 1
    assert_same_data(ours, keras.datasets.imdb.load_data(**kwargs))


REUTERS_ARGUMENTS = [{}, dict(num_words=12, test_split=0.4, maxlen=9), dict(oov_char=None, skip_top=5)]


@pytest.mark.parametrize("kwargs", REUTERS_ARGUMENTS, ids=str)
def test_reuters_matches_keras(kwargs, cached, keras_cache):
    keras, keras_folder = keras_cache
    _write_reuters(keras_folder / "reuters.npz", seed=2)
    cached(reuters, "reuters.npz", keras_folder / "reuters.npz")
    assert_same_data(reuters.load_data(**kwargs), keras.datasets.reuters.load_data(**kwargs))


def test_imdb_maxlen_that_keeps_nothing_raises(cached, server):
    _write_imdb(server / "imdb.npz")
    cached(imdb, "imdb.npz", server / "imdb.npz")
    with pytest.raises(ValueError, match="no sequence was kept. Increase maxlen"):
        imdb.load_data(maxlen=1)


@pytest.mark.parametrize("module, name", [(imdb, "imdb_word_index.json"), (reuters, "reuters_word_index.json")])
def test_get_word_index_reads_the_json(module, name, server, cache, publish):
    (server / name).write_text(json.dumps({"the": 1, "movie": 2}))
    publish(module, server / name, origin="WORD_INDEX_ORIGIN", file_hash="WORD_INDEX_HASH")
    assert module.get_word_index() == {"the": 1, "movie": 2}
    assert (cache / name).is_file()


def test_word_index_hashes_are_keras_md5_hashes():
    # 32 hex digits: get_file's "auto" checks them with md5, as Keras does.
    assert len(imdb.WORD_INDEX_HASH) == len(reuters.WORD_INDEX_HASH) == 32


def test_reuters_label_names_match_keras():
    keras = pytest.importorskip("keras")
    assert reuters.get_label_names() == keras.datasets.reuters.get_label_names()
