"""Ctrl-C at a random moment of fit or train_on_batch leaves a usable model with a
consistent state (loom/training/interrupt_guard.py). Run in a subprocess: the test sends
SIGINT to that process many times."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, random, signal, sys, threading
    import numpy as np
    import loom
    from loom import callbacks, layers
    from loom.training import epoch, trainer

    if sys.argv[1] == "unguarded":  # the check of the check: without the guard, it must fail
        class NoGuard:
            def __enter__(self): return self
            def __exit__(self, *exc): return False
        epoch.deferred_interrupt = trainer.deferred_interrupt = NoGuard

    inputs = loom.Input((8,))
    model = loom.Model(inputs, layers.Dense(1)(layers.Dense(32, activation="relu")(inputs)))
    model.compile("adam", "mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 8)).astype("float32"), rng.normal(size=(256, 1)).astype("float32")
    every_batch = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)  # one step per call
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[every_batch])
    model.train_on_batch(x[:8], y[:8])
    delays = random.Random(0)
    interrupted = 0
    for trial in range(int(sys.argv[2])):
        timer = threading.Timer(delays.uniform(0.0, 0.08), os.kill, (os.getpid(), signal.SIGINT))
        try:
            timer.start()
            try:
                if trial % 2:
                    model.fit(x, y, batch_size=8, epochs=100, verbose=0, callbacks=[every_batch])
                else:
                    for _ in range(2000):
                        model.train_on_batch(x[:8], y[:8])
            finally:
                timer.cancel()
                timer.join()
        except KeyboardInterrupt:
            interrupted += 1
        weights = model.get_weights()  # raises "Array has been deleted" on a broken model
        assert all(np.all(np.isfinite(w)) for w in weights)
        iterations = int(model.optimizer.iterations.value)
        model.predict(x[:4], verbose=0)
        model.train_on_batch(x[:8], y[:8])
        assert int(model.optimizer.iterations.value) == iterations + 1
    print("interrupted", interrupted)
    """
)


def _run(mode: str, trials: int):
    return subprocess.run([sys.executable, "-c", SCRIPT, mode, str(trials)], capture_output=True, text=True,
                          timeout=600)


def test_random_interrupts_leave_a_usable_model():
    result = _run("guarded", 30)
    assert result.returncode == 0, result.stderr[-3000:]
    interrupted = int(result.stdout.split()[-1])
    assert interrupted >= 25  # the interrupts really landed inside fit / train_on_batch
