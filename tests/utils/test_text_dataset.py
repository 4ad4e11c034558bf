import numpy as np
import pytest

from loom.utils import text_dataset_from_directory


@pytest.fixture
def reviews(tmp_path):
    texts = {"neg/a.txt": "awful", "neg/b.txt": "dull and long", "pos/c.txt": "great fun", "pos/d.txt": "süß",
             "pos/e.md": "ignored"}  # fmt: skip
    for name, text in texts.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_texts_and_labels_in_file_order(reviews):
    dataset = text_dataset_from_directory(reviews, batch_size=3, shuffle=False, verbose=False)
    assert dataset.class_names == ["neg", "pos"] and len(dataset) == 2
    texts, labels = dataset[0]
    assert texts.tolist() == ["awful", "dull and long", "great fun"] and labels.tolist() == [0, 0, 1]
    assert dataset[1][0].tolist() == ["süß"]


def test_max_length_cuts_characters_and_label_modes(reviews):
    dataset = text_dataset_from_directory(reviews, max_length=4, label_mode="binary", shuffle=False, verbose=False)
    texts, labels = dataset[0]
    assert texts.tolist() == ["awfu", "dull", "grea", "süß"]
    assert labels.dtype == np.float32 and labels.shape == (4, 1)
    only_texts = text_dataset_from_directory(reviews, labels=None, shuffle=False, verbose=False)[0]
    assert isinstance(only_texts, np.ndarray) and len(only_texts) == 4


def test_validation_split_and_shuffled_order(reviews, capsys):
    train, val = text_dataset_from_directory(reviews, validation_split=0.25, subset="both", seed=2, batch_size=None)
    assert len(train) == 3 and len(val) == 1
    assert capsys.readouterr().out.startswith("Found 4 files belonging to 2 classes.\nUsing 3 files for training.")
    seen = {text for text, _ in list(train) + list(val)}
    assert seen == {"awful", "dull and long", "great fun", "süß"}


def test_bad_max_length(reviews):
    with pytest.raises(ValueError, match="`max_length` must be a non-negative int or None; received max_length=-1"):
        text_dataset_from_directory(reviews, max_length=-1)
