"""History: the per-epoch logs of ``fit``, returned by it."""

from loom.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs; ``fit`` adds one and returns it.

    Attributes:
        history: dict mapping each log key (``"loss"``, ``"val_loss"``, ...) to
            its list of per-epoch values. Kept across ``fit`` calls, as in Keras.
        epoch: the epoch indices of the current ``fit`` call.

    Example:

    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.history
    {'loss': [0.5]}
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            # Set after every epoch, so the model holds the latest record even if fit is interrupted.
            self.model.history = self
