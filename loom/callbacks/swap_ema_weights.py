"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's moving averages of the weights."""

from loom.callbacks.callback import Callback


def _ema_optimizers(optimizer) -> list:
    """The optimizers holding moving averages: ``optimizer``, its inner one, or a MultiOptimizer's with EMA."""
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
    if hasattr(optimizer, "optimizers"):  # MultiOptimizer
        with_ema = [inner for inner in optimizer.optimizers if getattr(inner, "use_ema", False)]
        if not with_ema:
            raise ValueError(
                "SwapEMAWeights needs at least one inner optimizer of the MultiOptimizer created with "
                "`use_ema=True`; none of them was."
            )
        return with_ema
    if not getattr(optimizer, "use_ema", False):
        raise ValueError(
            "SwapEMAWeights needs an optimizer created with `use_ema=True`, e.g. "
            f"loom.optimizers.SGD(use_ema=True); received {optimizer!r} with use_ema=False."
        )
    return [optimizer]


class SwapEMAWeights(Callback):
    """Puts the optimizer's exponential moving averages of the weights into the model for evaluation.

    Before each evaluation (``evaluate``, validation in ``fit``) and
    ``predict``, the model's weights and their moving averages (Polyak
    averaging, kept by an optimizer with ``use_ema=True``) trade places; after
    it they trade back, so training continues from its own weights. The swap
    is in place: no copy of the weights is kept.

    Args:
        swap_on_epoch: also swap at the end of each epoch (and back at the
            start of the next), so callbacks listed after this one, such as
            ``ModelCheckpoint``, see the averaged weights. After the last epoch
            the model keeps the averages.

    Example:

    >>> import loom
    >>> callback = SwapEMAWeights(swap_on_epoch=True)
    >>> # model.compile(optimizer=loom.optimizers.SGD(use_ema=True), loss="mse")
    >>> # model.fit(x, y, validation_data=(x_val, y_val), callbacks=[callback, loom.callbacks.ModelCheckpoint(path)])
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _swap_variables(self) -> None:
        for optimizer in _ema_optimizers(self.model.optimizer):
            # An optimizer not built yet has no averages: nothing to swap.
            for variable, average in zip(optimizer._trainable_variables, optimizer._averages):
                weights = variable.value
                variable.assign(average.value)
                average.assign(weights)

    def _finalize_ema_values(self) -> None:
        # The model now holds the averages; make the averages equal them, so a later
        # finalize_variable_values (Keras calls it after fit) leaves the model as it is.
        for optimizer in _ema_optimizers(self.model.optimizer):
            for variable, average in zip(optimizer._trainable_variables, optimizer._averages):
                average.assign(variable.value)

    def _swap_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        # loom: Keras 3.15 tests `not self._ema_weights_in_model` here, so after
        # predict the model keeps the averages; loom swaps back, as after evaluate.
        self._swap_out()
