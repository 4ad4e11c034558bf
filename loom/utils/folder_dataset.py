"""From a folder of class subfolders to ``BatchedDataset``s: the flow shared by the image and text builders.

List the files (``directory_index``), keep the requested subset, and make a
dataset whose batches load their files on demand with the builder's ``load``
function, paired with the encoded labels.
"""

import numpy as np

from loom.utils.batched_dataset import BatchedDataset
from loom.utils.directory_index import (
    check_labels_arguments,
    check_validation_split_arg,
    encode_labels,
    get_training_or_validation_split,
    index_directory,
)

# `format` picks tf.data or grain in Keras; loom returns its own dataset for either.
FORMATS = ("tf", "grain")


def check_common_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed, format, what):
    """The argument checks both builders share, in Keras's order."""
    check_labels_arguments(labels, label_mode, class_names, what)
    if format not in FORMATS:
        raise ValueError(
            f'{what}: `format` should be either "tf" or "grain" (loom returns a BatchedDataset for both); '
            f"received format={format!r}."
        )
    check_validation_split_arg(validation_split, subset, shuffle, seed)


def _dataset(paths, labels, load, label_mode, class_names, batch_size, shuffle, seed) -> BatchedDataset:
    encoded = None if label_mode is None else encode_labels(labels, label_mode, len(class_names or ()))

    def take(indices):
        samples = load([paths[i] for i in indices])
        return samples if encoded is None else (samples, encoded[indices])

    dataset = BatchedDataset(take, len(paths), batch_size=batch_size, shuffle=shuffle, seed=seed)
    dataset.class_names = class_names
    dataset.file_paths = list(paths)
    return dataset


def dataset_from_directory(
    directory,
    load,
    formats,
    noun,
    labels,
    label_mode,
    class_names,
    batch_size,
    shuffle,
    seed,
    validation_split,
    subset,
    follow_links,
    verbose,
):
    """One ``BatchedDataset`` (or, for ``subset="both"``, a training and a validation one).

    Args:
        load: a function from a list of file paths to a batch array.
        formats: the accepted file extensions.
        noun: what the files are, for messages ("images", "text files").
        The rest: as ``image_dataset_from_directory`` takes them (already checked).
    """
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        directory, labels, formats=formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose,
    )  # fmt: skip
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
            f"class_names={class_names}. Use label_mode='categorical' or 'int' for {len(class_names)} classes."
        )
    allowed = f"Allowed formats: {formats}"
    if subset == "both":
        train_paths, train_labels = get_training_or_validation_split(paths, labels, validation_split, "training")
        val_paths, val_labels = get_training_or_validation_split(paths, labels, validation_split, "validation")
        if not train_paths:
            raise ValueError(f"No training {noun} found in directory {directory}. {allowed}")
        if not val_paths:
            raise ValueError(
                f"No validation {noun} found in directory {directory}: validation_split={validation_split} "
                f"of {len(paths)} files is less than one. {allowed}"
            )
        return [
            _dataset(train_paths, train_labels, load, label_mode, class_names, batch_size, shuffle, seed),
            # As Keras: the validation half of "both" keeps its order.
            _dataset(val_paths, val_labels, load, label_mode, class_names, batch_size, False, seed),
        ]
    paths, labels = get_training_or_validation_split(paths, labels, validation_split, subset)
    if not paths:
        raise ValueError(f"No {noun} found in directory {directory}. {allowed}")
    return _dataset(paths, labels, load, label_mode, class_names, batch_size, shuffle, seed)
