"""image_dataset_from_directory: batches of images (and labels) read with Pillow from a folder of class folders."""

import numpy as np

from loom.utils.folder_dataset import check_common_arguments, dataset_from_directory
from loom.utils.image_io import convert_color_mode, open_image, pil_image, standardize_data_format
from loom.utils.image_resize import INTERPOLATIONS, resize_image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
# Keras resizes with tf.image on TensorFlow; these three exist only there.
_TENSORFLOW_ONLY_INTERPOLATIONS = ("area", "gaussian", "mitchellcubic")


def load_image(path, image_size, color_mode="rgb", interpolation="bilinear", data_format="channels_last",
               crop_to_aspect_ratio=False, pad_to_aspect_ratio=False) -> np.ndarray:  # fmt: skip
    """One image file as a float32 array of ``image_size``, resized as Keras's JAX backend resizes."""
    img = convert_color_mode(open_image(path), color_mode)
    image = np.asarray(img, dtype="float32")
    if image.ndim == 2:
        image = image[..., None]
    image = resize_image(image, image_size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)
    return image.transpose(2, 0, 1) if data_format == "channels_first" else image


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",
    verbose=True,
):
    """A dataset of image batches from a folder with one subfolder per class.

    ``main/class_a/1.jpg, main/class_b/2.png`` gives images labelled 0 (class_a)
    and 1 (class_b). Supported files: ``.bmp``, ``.gif`` (first frame), ``.jpeg``,
    ``.jpg``, ``.png``. Images are read when their batch is asked for (Pillow,
    ``pip install "loom[image]"``), so a large folder does not fill memory.

    Args:
        directory: the folder. With ``labels="inferred"`` each subfolder is a class;
            otherwise the folder structure is ignored.
        labels: ``"inferred"`` (from subfolder names), None (images only), or a list
            of integer labels, one per image in sorted path order (``os.walk``).
        label_mode: ``"int"`` (int32), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32, shape (n, 1); two classes), or None (no labels).
        class_names: with inferred labels, the subfolders to use, in label order
            (default: all, sorted).
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: images per batch; None yields single images.
        image_size: ``(height, width)`` every image is resized to (an int for a square).
        shuffle: shuffle the files (with ``seed``) and the order in every epoch;
            False keeps paths in sorted order.
        seed: the shuffle's seed.
        validation_split: fraction of the files to hold out for validation.
        subset: with ``validation_split``: ``"training"``, ``"validation"``, or
            ``"both"`` for a ``[training, validation]`` pair.
        interpolation: the resize kernel: ``"bilinear"``, ``"nearest"``,
            ``"bicubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        follow_links: descend into linked folders.
        crop_to_aspect_ratio: crop the centre to the target aspect ratio before resizing.
        pad_to_aspect_ratio: pad (with zeros) to the target aspect ratio before resizing.
        data_format: ``"channels_last"`` or ``"channels_first"``; None: ``loom.config.image_data_format()``.
        format: ``"tf"`` or ``"grain"`` in Keras; loom returns a ``BatchedDataset`` for both.
        verbose: print how many files and classes were found.

    Returns:
        A ``BatchedDataset`` yielding ``(images, labels)`` (or images alone without
        labels), images float32 of shape ``(batch, height, width, channels)``; it has
        ``class_names`` and ``file_paths``. A list of two for ``subset="both"``.

    Example:

    >>> train, val = image_dataset_from_directory(  # doctest: +SKIP
    ...     "photos", image_size=(64, 64), validation_split=0.2, subset="both", seed=1)
    >>> model.fit(train, validation_data=val, epochs=3)  # doctest: +SKIP
    """
    what = "image_dataset_from_directory"
    check_common_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed, format, what)
    if color_mode not in CHANNELS:
        raise ValueError(
            f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: color_mode={color_mode}'
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation in _TENSORFLOW_ONLY_INTERPOLATIONS:
        raise ValueError(
            f"interpolation={interpolation!r} is a TensorFlow resize kernel, which loom does not have. Use one of "
            f"{INTERPOLATIONS} (Keras's JAX backend supports the same five)."
        )
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    data_format = standardize_data_format(data_format)
    pil_image()  # fail now, not in the first batch, if Pillow is missing
    image_size = tuple(int(size) for size in image_size)

    def load(paths):
        return np.stack([
            load_image(path, image_size, color_mode, interpolation, data_format, crop_to_aspect_ratio,
                       pad_to_aspect_ratio)
            for path in paths
        ])  # fmt: skip

    return dataset_from_directory(
        directory, load, ALLOWLIST_FORMATS, "images", labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose,
    )  # fmt: skip
