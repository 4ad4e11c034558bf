"""TerminateOnNaN: stop training when the loss becomes NaN or infinite."""

import numpy as np

from loom.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a NaN or infinite loss shows up in a batch's logs.

    By default training stops gracefully (``model.stop_training = True``), so
    every callback's ``on_train_end`` still runs.

    In loom the check runs once per compiled chunk. The loss in the logs is
    the epoch's running mean, which stays NaN once any step's loss was NaN, so
    no bad step goes unnoticed; training stops at the end of that chunk. With
    ``raise_error=True`` it looks at every batch (one step per compiled call),
    so the error names the batch whose loss first became non-finite.

    Args:
        raise_error: if True, raise a ``RuntimeError`` instead, skipping the
            other callbacks' clean-up (to keep a backup untouched, say).

    Example:

    >>> callback = TerminateOnNaN()
    >>> # model.fit(x, y, callbacks=[callback])
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    @property
    def _chunk_level_batch_hooks(self) -> bool:
        # A NaN mean stays NaN, so one look per chunk of any size finds it; only the
        # error's batch number needs every batch.
        return not self.raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.all(np.isfinite(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
