"""LambdaCallback: a callback made of plain functions, one per hook."""

from loom.callbacks.callback import HOOKS, Callback


class LambdaCallback(Callback):
    """A callback built from functions, for simple custom hooks written on the fly.

    The functions receive the hooks' arguments, positionally for ``epoch``,
    ``batch`` and the begin/end hooks' ``logs``, as a keyword for batch hooks'
    ``logs``:

    - ``on_epoch_begin`` / ``on_epoch_end``: ``(epoch, logs)``
    - ``on_train_begin`` / ``on_train_end``: ``(logs)``
    - ``on_train_batch_begin`` / ``on_train_batch_end``: ``(batch, logs)``

    Args:
        on_epoch_begin: called at the beginning of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called at the beginning of training.
        on_train_end: called at the end of training.
        on_train_batch_begin: called at the beginning of every training batch.
        on_train_batch_end: called at the end of every training batch.
        **kwargs: any other ``Callback`` hook, e.g. ``on_test_end=fn``.

    Example:

    >>> losses = []
    >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        # Keras stores any keyword as an attribute, so a misspelt hook is silently never
        # called; loom accepts hook names only.
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback received unknown hook(s) {unknown}. Hooks are: {', '.join(HOOKS)}."
            )
        hooks = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: `{name}` must be a function; received {name}={function!r}.")
            setattr(self, name, function)
