"""timeseries_dataset_from_array: batches of sliding windows over a timeseries, with their targets."""

import numpy as np

from loom.utils.batched_dataset import BatchedDataset


def _check_positive_below(name, value, length) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value!r}")
    if value >= length:
        raise ValueError(
            f"`{name}` must be lower than the length of the data. Received: {name}={value}, for data of length "
            f"{length}"
        )


def _check_bounds(start_index, end_index, length) -> None:
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
    format="tf",
):
    """A dataset of sliding windows over ``data`` (time on axis 0), each with the target at its start.

    Window ``j`` holds ``data[start_index + s_j + k * sampling_rate]`` for
    ``k < sequence_length``, where ``s_j = j * sequence_stride``; its target is
    ``targets[start_index + s_j]``. Windows that would pass ``end_index`` (or the
    end of ``targets``) are left out.

    Args:
        data: a NumPy (or JAX) array of consecutive timesteps.
        targets: the target of the window starting at each step, or None (windows only).
        sequence_length: timesteps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between consecutive timesteps within a window.
        batch_size: windows per batch; None yields single windows.
        shuffle: visit the windows in a new random order every epoch (else in time order).
        seed: the shuffle's seed.
        start_index: first timestep used (inclusive).
        end_index: timesteps from here on are not used (exclusive).
        format: ``"tf"`` or ``"grain"`` in Keras; loom returns a ``BatchedDataset`` for both.

    Returns:
        A ``BatchedDataset`` yielding ``(windows, targets)`` or windows alone;
        windows of shape ``(batch, sequence_length) + data.shape[1:]``.

    Example:

    >>> import numpy as np
    >>> data = np.arange(10)
    >>> batches = timeseries_dataset_from_array(data[:-3], data[3:], sequence_length=3, batch_size=2)
    >>> windows, targets = batches[0]
    >>> windows.tolist(), targets.tolist()
    ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """
    length = len(data)
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer)) or sequence_length < 1:
        raise ValueError(f"`sequence_length` must be a positive int. Received: sequence_length={sequence_length!r}")
    _check_bounds(start_index, end_index, length)
    _check_positive_below("sampling_rate", sampling_rate, length)
    _check_positive_below("sequence_stride", sequence_stride, length)
    if format not in ("tf", "grain"):
        raise ValueError(
            '`format` should be either "tf" or "grain" (loom returns a BatchedDataset for both). '
            f"Received: format={format}"
        )
    start_index = start_index or 0
    end_index = end_index or length
    data = np.asarray(data)
    window_count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        window_count = min(window_count, len(targets) - start_index)
    starts = start_index + np.arange(0, max(window_count, 0), sequence_stride)
    offsets = np.arange(sequence_length) * sampling_rate

    def take(indices):
        first_steps = starts[indices]
        windows = data[first_steps[:, None] + offsets]  # (batch, sequence_length, ...)
        return windows if targets is None else (windows, targets[first_steps])

    return BatchedDataset(take, len(starts), batch_size=batch_size, shuffle=shuffle, seed=seed)
