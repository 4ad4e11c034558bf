import numpy as np
import pytest

from loom.utils.batched_dataset import BatchedDataset, take_rows


def _dataset(**kwargs):
    return BatchedDataset(take_rows((np.arange(10), np.arange(10) * 2)), 10, **kwargs)


def test_batches_in_order_with_a_short_last_one():
    dataset = _dataset(batch_size=4)
    assert len(dataset) == 3 and dataset.num_batches == 3
    assert [b[0].tolist() for b in dataset] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert dataset[-1][1].tolist() == [16, 18]
    assert len(_dataset(batch_size=4, drop_remainder=True)) == 2


def test_shuffled_order_is_seeded_and_changes_each_epoch():
    first, again = _dataset(batch_size=10, shuffle=True, seed=3), _dataset(batch_size=10, shuffle=True, seed=3)
    epochs = [next(iter(first))[0].tolist() for _ in range(3)]
    assert epochs == [next(iter(again))[0].tolist() for _ in range(3)]
    assert len({tuple(order) for order in epochs}) == 3 and all(sorted(o) == list(range(10)) for o in epochs)


def test_unbatched_items_are_samples_and_batch_groups_them():
    single = _dataset()
    assert len(single) == 10 and single[3] == (3, 6)
    assert [b[0].tolist() for b in single.batch(6)] == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]
    with pytest.raises(ValueError, match="already batched"):
        single.batch(2).batch(2)
    assert repr(single) == "<BatchedDataset: 10 samples, unbatched>"


def test_bad_index_and_batch_size():
    with pytest.raises(IndexError, match="index 3 out of range for 3 items"):
        _dataset(batch_size=4)[3]
    with pytest.raises(ValueError, match="`batch_size` must be a positive int or None; received batch_size=0"):
        _dataset(batch_size=0)
