"""Every entry point of every seed model: fit, a whole fit() call, train/test/predict_on_batch,
predict and evaluate, against hand-written JAX and Keras 3 (JAX backend), in one process.

For each seed the contenders run in interleaved rounds and each ratio is the median
of per-round ratios (the range follows in brackets). Ratios read "loom / other" for
rates: above 1 means loom is faster.

- fit: steps/s of an epoch against a ``lax.scan`` epoch and Keras's fit with
  steps_per_execution 1 and 32 (the better one is "Keras best").
- whole fit: the wall time of ``fit(epochs=6)`` (set-up, data placement, logs, all
  included) against moving the data and running six scan epochs.
- *_on_batch: calls/s against a raw ``jax.jit`` step on the same NumPy batch, and Keras.
- predict / evaluate at batch 32 and 256: rows/s against Keras's best and a hand-written
  ``lax.map`` over device data, and the first call of a freshly compiled model
  (compiling included) against Keras's first call.

Run: python bench/bench_entry_points.py [--rounds R] [--quick] [--seed NAME]
"""

import argparse
import statistics
import sys
import time

import common
import jax
import jax.numpy as jnp
import numpy as np
import seed_cases

import loom

# First calls here are timed cold: a fresh model in this process compiles the same programs
# as the last one, which the persistent cache would hand back (bench_first_epoch.py times
# the cache across processes, where it belongs).
loom.config.disable_compilation_cache()

EPOCHS_WHOLE_FIT = 6
PREDICT_ROWS = 4096


def _rate(function, calls):
    """A runner: calls/s of ``function`` over ``calls`` calls, synchronised at the end."""

    def run(repeats):
        started = time.perf_counter()
        for _ in range(repeats * calls):
            out = function()
        jax.block_until_ready(out)
        return repeats * calls / (time.perf_counter() - started)

    return run


def _first_call_seconds(function):
    started = time.perf_counter()
    jax.block_until_ready(function())
    return time.perf_counter() - started


def _tiled(data, rows):
    return jax.tree_util.tree_map(lambda a: np.concatenate([a] * (rows // len(a))), data)


def _batch(data, rows):
    return jax.tree_util.tree_map(lambda a: a[:rows], data)


class Seed:
    """The contenders of one case, built and warmed up."""

    def __init__(self, case, with_keras: bool):
        self.case = case
        self.loom = self._loom_model()
        self.keras = {}
        if with_keras:
            for spe in (1, 32):
                model = case.make_keras()
                model.compile("adam", case.loss, steps_per_execution=spe)
                self.keras[spe] = model
        # Copies: loom's fit donates the model's own buffers to its compiled steps.
        non_trainable = [jnp.array(v.value, copy=True) for v in self.loom.non_trainable_variables]
        self.params = [jnp.array(v.value, copy=True) for v in self.loom.trainable_variables]
        self.forward = lambda params, x: self.loom.stateless_call(params, non_trainable, x, training=False)[0]
        self.step, init = common.optax_step(lambda p, x, y: case.loss_fn(y, self.forward(p, x)))
        self.initial_state = init(self.params)  # (params, optimizer state)

    def _loom_model(self):
        model = self.case.make_loom()
        model.compile("adam", self.case.loss)
        return model

    # --- fit -----------------------------------------------------------------------
    def fit(self, rounds, epochs=8):
        x, y = self.case.x, self.case.y
        runners, first = {}, {}
        first["loom"], runners["loom"] = common.loom_fit_runner(self.loom, x, y, 32)
        _, runners["lax.scan"] = common.scan_epoch_runner(
            self.step, self.initial_state, (jax.device_put(x), jax.device_put(y)), 32
        )
        for spe, model in self.keras.items():
            first[f"Keras spe={spe}"], runners[f"Keras spe={spe}"] = common.keras_fit_runner(model, x, y, 32)
        return common.Comparison(runners, epochs, rounds), first

    def whole_fit(self, rounds):
        x, y = self.case.x, self.case.y
        count = len(y)
        steps = count // 32

        @jax.jit
        def epoch(state, key, data):
            order = jax.random.permutation(key, count)[: steps * 32].reshape(steps, 32)
            return jax.lax.scan(self.step, state, jax.tree_util.tree_map(lambda a: a[order], data))

        holder = {"state": self.initial_state}

        def scan_fit():
            data = (jax.device_put(x), jax.device_put(y))
            for index in range(EPOCHS_WHOLE_FIT):
                holder["state"], losses = epoch(holder["state"], jax.random.PRNGKey(index), data)
                float(losses.mean())  # a loop that prints each epoch's loss, as fit logs it
            return losses

        runners = {
            "loom": lambda: self.loom.fit(x, y, batch_size=32, epochs=EPOCHS_WHOLE_FIT, verbose=0),
            "lax.scan": scan_fit,
        }
        for spe, model in self.keras.items():
            runners[f"Keras spe={spe}"] = lambda model=model: model.fit(
                x, y, batch_size=32, epochs=EPOCHS_WHOLE_FIT, verbose=0
            )
        for run in runners.values():
            run()
        return common.Comparison({name: _rate(run, 1) for name, run in runners.items()}, 1, rounds)

    # --- single batches -------------------------------------------------------------
    def on_batch(self, rounds, calls=50):
        xb, yb = _batch(self.case.x, 32), _batch(self.case.y, 32)
        jit_step = jax.jit(self.step)
        jit_forward = jax.jit(self.forward)
        jit_loss = jax.jit(lambda p, x, y: self.case.loss_fn(y, self.forward(p, x)))
        holder = {"state": self.initial_state}

        def raw_train():
            holder["state"], loss = jit_step(holder["state"], (xb, yb))
            return float(loss)  # train_on_batch returns the loss as a float

        tables = {}
        for kind, loom_call, raw, keras_call in (
            ("train_on_batch", lambda: self.loom.train_on_batch(xb, yb), raw_train,
             lambda m: m.train_on_batch(xb, yb)),
            ("test_on_batch", lambda: self.loom.test_on_batch(xb, yb),
             lambda: float(jit_loss(self.params, xb, yb)), lambda m: m.test_on_batch(xb, yb)),
            ("predict_on_batch", lambda: self.loom.predict_on_batch(xb),
             lambda: np.asarray(jit_forward(self.params, xb)), lambda m: m.predict_on_batch(xb)),
        ):
            runners = {"loom": loom_call, "raw jit": raw}
            if 1 in self.keras:
                runners["Keras"] = lambda call=keras_call: call(self.keras[1])
            for run in runners.values():
                run()
                run()
            tables[kind] = common.Comparison({n: _rate(r, calls) for n, r in runners.items()}, 1, rounds)
        return tables

    # --- predict and evaluate ---------------------------------------------------------
    def predict_evaluate(self, rounds, batch_size):
        x, y = _tiled(self.case.x, PREDICT_ROWS), _tiled(self.case.y, PREDICT_ROWS)
        steps = PREDICT_ROWS // batch_size
        device_x, device_y = jax.device_put(x), jax.device_put(y)

        def stacked(data):
            return jax.tree_util.tree_map(lambda a: a.reshape((steps, batch_size) + a.shape[1:]), data)

        @jax.jit
        def map_predict(params, data):
            return jax.lax.map(lambda b: self.forward(params, b), stacked(data))

        @jax.jit
        def map_evaluate(params, data, targets):
            losses = jax.lax.map(lambda b: self.case.loss_fn(b[1], self.forward(params, b[0])),
                                 (stacked(data), stacked(targets)))
            return losses.mean()

        results, first = {}, {}
        fresh = self._loom_model()
        first["loom predict"] = _first_call_seconds(lambda: fresh.predict(x, batch_size=batch_size, verbose=0))
        first["loom evaluate"] = _first_call_seconds(lambda: fresh.evaluate(x, y, batch_size=batch_size, verbose=0))
        if self.keras:
            model = self.case.make_keras()
            model.compile("adam", self.case.loss, steps_per_execution=32)
            first["Keras predict"] = _first_call_seconds(lambda: model.predict(x, batch_size=batch_size, verbose=0))
            first["Keras evaluate"] = _first_call_seconds(
                lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0))
        for kind in ("predict", "evaluate"):
            if kind == "predict":
                runners = {
                    "loom": lambda: self.loom.predict(x, batch_size=batch_size, verbose=0),
                    "lax.map": lambda: np.asarray(map_predict(self.params, device_x)),
                }
            else:
                runners = {
                    "loom": lambda: self.loom.evaluate(x, y, batch_size=batch_size, verbose=0),
                    "lax.map": lambda: float(map_evaluate(self.params, device_x, device_y)),
                }
            for spe, model in self.keras.items():
                call = getattr(model, kind)
                args = (x,) if kind == "predict" else (x, y)
                runners[f"Keras spe={spe}"] = lambda call=call, args=args: call(*args, batch_size=batch_size, verbose=0)
            for run in runners.values():
                run()
            rows_rate = {n: _rate(lambda r=r: (r(), jnp.zeros(()))[1], 1) for n, r in runners.items()}
            results[kind] = common.Comparison(rows_rate, 1, rounds)
        return results, first


def _best_keras(result, a="loom"):
    """loom's ratio against the faster Keras setting of each round."""
    names = [n for n in result.rates if n.startswith("Keras")]
    if not names:
        return None
    best = [max(result.rates[n][i] for n in names) for i in range(len(result.rates[a]))]
    ratios = sorted(x / b for x, b in zip(result.rates[a], best))
    return f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def _ratio(result, a, b):
    if b not in result.rates:
        return "-"
    return f"{result.ratio(a, b):.2f}x ({result.spread(a, b)})"


def report(seed: Seed, rounds: int) -> list:
    rows = []
    fit, first = seed.fit(rounds)
    rows.append(("fit steps/s: loom / lax.scan", _ratio(fit, "loom", "lax.scan")))
    rows.append(("fit steps/s: loom / Keras best", _best_keras(fit) or "-"))
    if "Keras spe=1" in first:
        best_first = min(v for k, v in first.items() if k.startswith("Keras"))
        rows.append(("fit first epoch s: loom, Keras best", f"{first['loom']:.2f}, {best_first:.2f}"))
    whole = seed.whole_fit(rounds)
    rows.append((f"whole fit({EPOCHS_WHOLE_FIT} epochs): loom / scan", _ratio(whole, "loom", "lax.scan")))
    rows.append((f"whole fit({EPOCHS_WHOLE_FIT} epochs): loom / Keras best", _best_keras(whole) or "-"))
    for kind, result in seed.on_batch(rounds).items():
        rows.append((f"{kind}: loom / raw jit", _ratio(result, "loom", "raw jit")))
        rows.append((f"{kind}: loom / Keras", _ratio(result, "loom", "Keras")))
        rows.append((f"{kind}: loom ms per call", f"{1e3 / result.rate('loom'):.3f}"))
    for batch_size in (32, 256):
        results, first = seed.predict_evaluate(rounds, batch_size)
        for kind, result in results.items():
            rows.append((f"{kind}(batch {batch_size}): loom / lax.map", _ratio(result, "loom", "lax.map")))
            rows.append((f"{kind}(batch {batch_size}): loom / Keras best", _best_keras(result) or "-"))
            keras_first = first.get(f"Keras {kind}")
            shown = f"{first[f'loom {kind}']:.2f}" + (f", {keras_first:.2f}" if keras_first is not None else "")
            rows.append((f"{kind}(batch {batch_size}) first call s: loom, Keras", shown))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    parser.add_argument("--seed", help="only the cases whose name contains this")
    args = parser.parse_args(argv)
    rounds = 2 if args.quick else args.rounds
    with_keras = common.keras_available()
    started = time.perf_counter()
    for case in seed_cases.cases():
        if args.seed and args.seed not in case.name:
            continue
        rows = report(Seed(case, with_keras), rounds)
        common.print_table(f"{case.name}: every entry point, {rounds} interleaved rounds (median, range)", rows)
    print(f"\n(total {time.perf_counter() - started:.0f}s on {jax.devices()[0].device_kind})")


if __name__ == "__main__":
    sys.exit(main())
