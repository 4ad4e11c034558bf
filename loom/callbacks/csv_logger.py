"""CSVLogger: stream each epoch's logs to a CSV file, one flushed row per epoch."""

import collections.abc
import csv
import os
import warnings

import numpy as np

from loom.callbacks.callback import Callback


def _cell(value):
    """A CSV cell as Keras writes it: strings as they are, 1-D iterables as ``"[a, b]"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


def _read_header(filename: str, separator: str) -> list | None:
    """The column names in the first row of an existing CSV file; None if it is missing or empty."""
    if not os.path.exists(filename):
        return None
    with open(filename, newline="") as file:
        first_line = file.readline()
    if not first_line.strip("\r\n"):
        return None
    return next(csv.reader([first_line], delimiter=separator))


class CSVLogger(Callback):
    """Streams epoch results to a CSV file.

    The columns are ``epoch`` and the first epoch's log keys, sorted (with
    ``val_*`` columns added for every key when the first epoch has none, so a
    later validation run has a place). A key missing from a later epoch is
    written as ``NA``. Each row is flushed as it is written, so a crash loses
    no finished epoch. Values may be anything printable, 1-D arrays included.

    Args:
        filename: path of the CSV file, e.g. ``"run/log.csv"``.
        separator: the one-character string between cells.
        append: True appends to an existing file (to continue training),
            writing the header only if the file is empty; False overwrites it.

    Example:

    >>> csv_logger = CSVLogger("training.log")
    >>> # model.fit(x, y, callbacks=[csv_logger])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise TypeError(
                f"CSVLogger: `filename` must be a path (str or os.PathLike); received filename={filename!r}."
            ) from None
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                f"CSVLogger: `separator` must be a one-character string; received separator={separator!r}."
            )
        self.sep = separator
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None
        self._existing_header = None

    def on_train_begin(self, logs=None):
        self._existing_header = None
        if self.append:
            self._existing_header = _read_header(self.filename, self.sep)
            self.append_header = self._existing_header is None
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self._start_writer()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def _start_writer(self) -> None:
        class Dialect(csv.excel):
            delimiter = self.sep

        fieldnames = ["epoch"] + self.keys
        self.writer = csv.DictWriter(self.csv_file, fieldnames=fieldnames, dialect=Dialect)
        if self.append_header:
            self.writer.writeheader()
        elif self._existing_header != fieldnames:
            warnings.warn(
                f"CSVLogger is appending to '{self.filename}', whose columns "
                f"{self._existing_header} differ from this run's {fieldnames}; "
                "the new rows will not line up with the header. "
                "Log the same metrics as before, or write to a new file (append=False).",
                stacklevel=3,
            )
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
