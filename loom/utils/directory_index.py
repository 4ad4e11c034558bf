"""Listing a folder of class subfolders as (file paths, labels, class names), and the validation split.

The shared first half of ``image_dataset_from_directory`` and
``text_dataset_from_directory``. It follows Keras 3 (``dataset_utils``) to the
file: the same walk order, the same shuffle (NumPy's ``RandomState(seed)``),
the same split, so a seed picks the same training and validation files in
both libraries.
"""

import os

import numpy as np

from loom.utils.interactive_logging import print_msg

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both", None)


def check_labels_arguments(labels, label_mode, class_names, what: str) -> None:
    """Errors for ``labels``/``label_mode``/``class_names`` combinations Keras refuses."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"{what}: `labels` should be a list/tuple of integer labels, one per file in the folder "
                '(sorted by path), "inferred" (labels from the subfolder names) or None (no labels); '
                f"received labels={labels!r}."
            )
        if class_names:
            raise ValueError(
                f'{what}: `class_names` may only be passed with labels="inferred"; received labels={labels!r} '
                f"and class_names={class_names!r}."
            )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            f'{what}: `label_mode` must be "int", "categorical", "binary" or None; received label_mode={label_mode!r}.'
        )


def check_validation_split_arg(validation_split, subset, shuffle, seed) -> None:
    """Errors for a validation split Keras refuses (one without the other, no seed to shuffle with)."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            "If `subset` is set, `validation_split` must be set, and inversely. Received: "
            f"validation_split={validation_split!r}, subset={subset!r}."
        )
    if subset not in SUBSETS:
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` argument, to make "
            "sure that there is no overlap between the training and validation subset."
        )


def _class_subfolders(directory, class_names) -> list:
    subfolders = [
        name.rstrip("/")
        for name in sorted(os.listdir(directory))
        if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
    ]
    if class_names is None:
        return subfolders
    if not set(class_names).issubset(subfolders):
        raise ValueError(
            "The `class_names` passed did not match the names of the subdirectories of the target directory. "
            f"Expected: {subfolders} (or a subset of it), but received: class_names={class_names}"
        )
    return list(class_names)  # the caller's order


def _files_in(folder, follow_links: bool, formats: tuple) -> list:
    """Paths relative to the parent of ``folder`` (``class_a/x.png``), in Keras's order."""
    name = os.path.basename(folder)
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        for file_name in sorted(files):
            if file_name.lower().endswith(formats):
                found.append(os.path.join(name, os.path.relpath(os.path.join(root, file_name), folder)))
    return found


def index_directory(
    directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False, verbose=True
):
    """All files of the accepted ``formats`` under ``directory``, with their labels.

    Args:
        directory: the folder. With ``labels="inferred"`` each subfolder is a class.
        labels: ``"inferred"``, None, or a list of integer labels, one per file in
            sorted path order.
        formats: accepted file extensions, lower case (``(".png", ".jpg")``).
        class_names: with ``labels="inferred"``, the subfolders to use, in label order.
        shuffle: shuffle files and labels together with ``RandomState(seed)``; else sorted.
        seed: the shuffle's seed (None draws one).
        follow_links: descend into linked folders.
        verbose: print how many files and classes were found.

    Returns:
        ``(file_paths, labels, class_names)``; labels an int32 array for inferred
        labels, the given list for explicit ones, None without labels.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find the directory {directory!r}. Pass the folder that holds the data.")
    if labels == "inferred":
        class_names = _class_subfolders(directory, class_names)
        folders = class_names
    else:
        if class_names is not None:
            which = "`labels=None` (no labels)" if labels is None else "argument `labels` is specified"
            raise ValueError(
                f"When {which}, argument `class_names` cannot be specified (the class names come from the "
                "labels)."
            )
        folders = [""]  # the whole tree, paths relative to `directory`
    file_names, per_class = [], []
    for folder in folders:
        found = _files_in(os.path.join(directory, folder), follow_links, formats)
        file_names += found
        per_class.append(len(found))
    if labels == "inferred":
        labels = np.repeat(np.arange(len(folders), dtype="int32"), per_class)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(file_names):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target directory. "
                f"len(labels) is {len(labels)} while we found {len(file_names)} files in directory {directory}."
            )
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if labels is None:
            print_msg(f"Found {len(file_names)} files.")
        else:
            print_msg(f"Found {len(file_names)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, name) for name in file_names]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        # One RandomState per list, seeded alike: the same permutation of both, as Keras does it.
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            labels = labels.copy() if isinstance(labels, np.ndarray) else list(labels)  # not the caller's list
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training part (all but the last ``int(validation_split * n)``) or the validation part."""
    if not validation_split:
        return samples, labels
    validation_count = int(validation_split * len(samples))
    # Keras slices [:-count] and [-count:], which for count 0 gives no training data and all of
    # it for validation; slicing at n - count gives an empty validation part instead.
    cut = len(samples) - validation_count
    if subset == "training":
        print_msg(f"Using {cut} files for training.")
        return samples[:cut], None if labels is None else labels[:cut]
    if subset == "validation":
        print_msg(f"Using {validation_count} files for validation.")
        return samples[cut:], None if labels is None else labels[cut:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def encode_labels(labels, label_mode, num_classes: int) -> np.ndarray:
    """Integer labels as Keras's ``label_mode`` gives them: int32 (n,), float32 one-hot, or float32 (n, 1)."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels.astype("int64")]
    return labels.astype("int32")
