"""text_dataset_from_directory: batches of texts (and labels) read from ``.txt`` files in class folders."""

import numpy as np

from loom.utils.folder_dataset import check_common_arguments, dataset_from_directory


def read_text(path, max_length=None) -> str:
    """A file's text (UTF-8), cut to ``max_length`` characters."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return text if max_length is None else text[:max_length]


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    format="tf",
    verbose=True,
):
    """A dataset of text batches from a folder with one subfolder per class of ``.txt`` files.

    ``main/pos/1.txt, main/neg/2.txt`` gives texts labelled 1 (pos) and 0 (neg),
    classes in sorted order. Files are read (as UTF-8) when their batch is asked for.

    Args:
        directory: the folder. With ``labels="inferred"`` each subfolder is a class;
            otherwise the folder structure is ignored.
        labels: ``"inferred"``, None (texts only), or a list of integer labels, one
            per file in sorted path order.
        label_mode: ``"int"`` (int32), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32, shape (n, 1); two classes), or None.
        class_names: with inferred labels, the subfolders to use, in label order.
        batch_size: texts per batch; None yields single texts.
        max_length: cut each text to this many characters.
        shuffle: shuffle the files (with ``seed``) and the order in every epoch.
        seed: the shuffle's seed.
        validation_split: fraction of the files to hold out for validation.
        subset: ``"training"``, ``"validation"``, or ``"both"`` (a pair).
        follow_links: descend into linked folders.
        format: ``"tf"`` or ``"grain"`` in Keras; loom returns a ``BatchedDataset`` for both.
        verbose: print how many files and classes were found.

    Returns:
        A ``BatchedDataset`` yielding ``(texts, labels)`` (or texts alone), texts a
        NumPy array of ``str`` of shape ``(batch,)``; it has ``class_names`` and
        ``file_paths``. A list of two for ``subset="both"``.
    """
    what = "text_dataset_from_directory"
    check_common_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed, format, what)
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0):
        raise ValueError(
            f"{what}: `max_length` must be a non-negative int or None; received max_length={max_length!r}."
        )

    def load(paths):
        # Keras gives tf.string tensors (bytes); a NumPy array of str is loom's text batch.
        return np.array([read_text(path, max_length) for path in paths], dtype=str)

    return dataset_from_directory(
        directory, load, (".txt",), "text files", labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose,
    )  # fmt: skip
