import numpy as np
import pytest

from loom.utils import BatchedDataset, image_dataset_from_directory
from loom.utils.image_dataset import load_image

Image = pytest.importorskip("PIL.Image")

SIZES = {"cat": [(6, 9), (8, 8), (5, 4)], "dog": [(7, 7), (9, 6)]}


@pytest.fixture
def photos(tmp_path):
    rng = np.random.default_rng(0)
    for label, sizes in SIZES.items():
        (tmp_path / label).mkdir()
        for i, (height, width) in enumerate(sizes):
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels, "RGB").save(tmp_path / label / f"{i}.{'png' if i % 2 else 'bmp'}")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    return tmp_path


@pytest.fixture(scope="module")
def keras_load_image():
    pytest.importorskip("keras")
    from keras.src.utils.image_dataset_utils import _load_image_grain

    return _load_image_grain


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(interpolation="bilinear", crop_to_aspect_ratio=True),
        dict(interpolation="lanczos3", pad_to_aspect_ratio=True, color_mode="grayscale", data_format="channels_first"),
    ],
    ids=["bilinear-crop", "lanczos3-pad-grayscale-channels_first"],
)
def test_each_image_is_loaded_as_keras_loads_it_on_jax(kwargs, photos, keras_load_image):
    # Keras's JAX resize compiles once per image shape, so three images keep this quick.
    color_mode = kwargs.pop("color_mode", "rgb")
    data_format = kwargs.pop("data_format", "channels_last")
    for path in sorted(photos.glob("cat/*")):
        ours = load_image(path, (5, 6), color_mode, data_format=data_format, **kwargs)
        channels = {"grayscale": 1, "rgb": 3}[color_mode]
        theirs = np.asarray(keras_load_image(str(path), (5, 6), channels, data_format=data_format, **kwargs))
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=2e-3)  # values 0..255


def test_dataset_yields_resized_images_with_labels_in_file_order(photos):
    dataset = image_dataset_from_directory(photos, image_size=(4, 5), batch_size=2, shuffle=False, verbose=False)
    assert isinstance(dataset, BatchedDataset) and len(dataset) == 3
    assert dataset.class_names == ["cat", "dog"]
    assert [p.split("/")[-2:] for p in dataset.file_paths] == [["cat", "0.bmp"], ["cat", "1.png"], ["cat", "2.bmp"],
                                                              ["dog", "0.bmp"], ["dog", "1.png"]]  # fmt: skip
    images = np.concatenate([batch[0] for batch in dataset])
    labels = np.concatenate([batch[1] for batch in dataset])
    assert images.shape == (5, 4, 5, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(images[3], load_image(dataset.file_paths[3], (4, 5)))


def test_label_modes_and_no_labels(photos):
    def first(**kwargs):
        return image_dataset_from_directory(photos, image_size=3, shuffle=False, verbose=False, **kwargs)[0]

    assert first(label_mode="binary")[1].tolist() == [[0.0], [0.0], [0.0], [1.0], [1.0]]
    assert first(label_mode="categorical")[1].shape == (5, 2)
    assert first(label_mode="int")[1].dtype == np.int32
    images = first(labels=None)
    assert isinstance(images, np.ndarray) and images.shape == (5, 3, 3, 3)
    assert first(color_mode="rgba", label_mode=None).shape == (5, 3, 3, 4)


def test_both_subsets_split_the_shuffled_files(photos, capsys):
    train, val = image_dataset_from_directory(photos, image_size=(2, 2), batch_size=None, validation_split=0.4,
                                              subset="both", seed=7)  # fmt: skip
    assert len(train) == 3 and len(val) == 2  # unbatched: one image per item
    assert set(train.file_paths).isdisjoint(val.file_paths) and len(set(train.file_paths + val.file_paths)) == 5
    assert train[0][0].shape == (2, 2, 3)
    assert capsys.readouterr().out == (
        "Found 5 files belonging to 2 classes.\nUsing 3 files for training.\nUsing 2 files for validation.\n"
    )
    again = image_dataset_from_directory(photos, image_size=(2, 2), validation_split=0.4, subset="validation", seed=7,
                                         verbose=False)  # fmt: skip
    assert again.file_paths == val.file_paths


def test_shuffle_draws_a_new_order_each_epoch(photos):
    dataset = image_dataset_from_directory(photos, image_size=2, batch_size=5, seed=1, labels=[0, 1, 2, 3, 4],
                                           verbose=False)  # fmt: skip
    orders = [tuple(batch[1]) for _ in range(4) for batch in dataset]
    assert all(sorted(order) == [0, 1, 2, 3, 4] for order in orders) and len(set(orders)) > 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(labels="folders"), "`labels` should be a list/tuple of integer labels"),
        (dict(labels=[0, 1, 0, 1, 0], class_names=["a"]), '`class_names` may only be passed with labels="inferred"'),
        (dict(label_mode="sparse"), '`label_mode` must be "int", "categorical", "binary" or None'),
        (dict(color_mode="cmyk"), "`color_mode` must be one of"),
        (dict(image_size=(1, 2, 3)), "Expected a tuple of 2 integers"),
        (dict(interpolation="area"), "interpolation='area' is a TensorFlow resize kernel"),
        (dict(interpolation="cubic"), "should be one of"),
        (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "Only one of `pad_to_aspect_ratio`"),
        (dict(format="torch"), '`format` should be either "tf" or "grain"'),
        (dict(validation_split=0.5, subset="training"), "you must provide a `seed` argument"),
        (dict(label_mode="binary", class_names=["cat"]), "there must be exactly 2 class_names"),
        (dict(validation_split=0.1, subset="both", seed=1), "No validation images found .* is less than one"),
    ],
)
def test_argument_errors(kwargs, match, photos):
    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(photos, verbose=False, **kwargs)


def test_a_folder_without_images(tmp_path):
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match=r"No images found in directory .*Allowed formats: \('.bmp'"):
        image_dataset_from_directory(tmp_path, verbose=False)
