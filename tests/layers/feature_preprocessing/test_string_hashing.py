"""FarmHash64, SipHash64 and FingerprintCat64 against the bins Keras documents (its TensorFlow ops)."""

import numpy as np

from loom.layers.string_hashing import as_bytes, farmhash64, fingerprint_cat64, hash_values, siphash64


def bins(values, count, function=farmhash64):
    return [int(h % count) for h in hash_values(np.array(values), function)]


def test_farmhash_of_empty_string_is_farmhash_constant_k2():
    assert farmhash64(b"") == 0x9AE16A3B2F90404F


def test_farmhash_bins_match_keras_hashing_examples():
    # keras.layers.Hashing docstring and hashing_test.py (TensorFlow's to_hash_bucket_fast).
    assert bins(list("ABCDE"), 3) == [1, 0, 1, 1, 2]
    assert bins([0, 1, 2, 3, 4], 3) == [1, 0, 1, 0, 2]
    assert bins(["omar", "stringer", "marlo", "wire", "skywalker"], 2) == [0, 0, 1, 0, 0]


def test_siphash_bins_match_keras_salted_examples():
    def salted(key):
        return lambda data: siphash64(key, data)

    assert bins(list("ABCDE"), 3, salted((133, 137))) == [1, 2, 1, 0, 2]
    assert bins(list("ABCDE"), 3, salted((133, 133))) == [0, 0, 2, 1, 0]
    assert bins(["omar", "stringer", "marlo", "wire", "skywalker"], 2, salted((133, 137))) == [0, 1, 0, 1, 0]


def test_siphash_matches_the_reference_vector_of_the_siphash_paper():
    # SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e -> a129ca6149be45e5.
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little"))
    assert siphash64(key, bytes(range(15))) == 0xA129CA6149BE45E5


def test_fingerprint_cat_matches_keras_hashed_crossing_example():
    key = 0xDECAFCAFFE  # TensorFlow's default cross_hashed key
    pairs = zip("ABABA", [101, 101, 101, 102, 102])
    crossed = [fingerprint_cat64(fingerprint_cat64(key, farmhash64(as_bytes(a))), b) % 5 for a, b in pairs]
    assert crossed == [1, 4, 1, 1, 3]


def test_long_strings_take_every_farmhash_branch_and_stay_64_bit():
    for length in (17, 32, 33, 64, 65, 200):
        value = farmhash64(bytes(range(length)))
        assert 0 <= value < 2**64
    # Different inputs of the long branches hash differently; equal inputs equally.
    assert farmhash64(b"a" * 100) != farmhash64(b"a" * 99 + b"b")
    assert farmhash64(b"a" * 100) == farmhash64(b"a" * 100)


def test_floats_hash_as_truncated_integers_and_bytes_as_text():
    assert bins([1.7, 2.2], 7) == bins([1, 2], 7)
    assert hash_values(np.array([b"A"], dtype=object), farmhash64)[0] == farmhash64(b"A")
