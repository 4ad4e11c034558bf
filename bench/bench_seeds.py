"""All five seed models: loom fit vs hand-written JAX loops vs Keras, same data, same process.

The mixture model (seed 002) is compared with a fully hand-written JAX model. For
the others, the hand-written loops train the same forward function
(``model.stateless_call``, a pure JAX function) with optax directly, so the
ratio isolates what loom's training engine adds or saves.

Run: python bench/bench_seeds.py [--epochs N] [--rounds R] [--quick]
"""

import argparse
import sys
import time

import numpy as np

import bench_mixture
import common
from seed_cases import binary, categorical, mse
from loom.demo import seeds


def stateless_loss(model, loss):
    non_trainable = [v.value for v in model.non_trainable_variables]

    def loss_fn(params, x, y):
        out, _ = model.stateless_call(params, non_trainable, x, training=True)
        return loss(y, out)

    return [v.value for v in model.trainable_variables], loss_fn


def cases():
    """(name, build model, data, loss name, loss function)."""
    def dot_product():
        return seeds.dot_product_model(), seeds.dot_product_data(samples=1024), "mse", mse

    def constant_subset():
        x_pk, c, x, y = seeds.constant_subset_data(samples=1024)
        return seeds.constant_subset_model(x_pk, c), (x, y), "categorical_crossentropy", categorical

    def siamese():
        model = seeds.siamese_model()[0]
        return model, seeds.siamese_data(samples=1024), "binary_crossentropy", binary

    def ensemble():
        members = [seeds.make_model((4,), d) for d in (8, 10, 12)]
        model, _ = seeds.ensemble_model(members, [np.ones(3)] * 3)
        x, y = seeds.ensemble_data(samples=1024)
        return model, ([x, x, x], y), "categorical_crossentropy", categorical

    return [("(a) seed 000 dot", dot_product), ("(b) seed 001 constant", constant_subset),
            ("(d) seed 003 siamese Dense", siamese), ("(e) seed 004 ensemble", ensemble)]


def run(epochs: int, rounds: int) -> list:
    rows = []
    for name, make in cases():
        model, (x, y), loss_name, loss_fn = make()
        model.compile("adam", loss_name)
        first, loom_run = common.loom_fit_runner(model, x, y, 32)
        params, hand_loss = stateless_loss(model, loss_fn)
        hand = common.hand_written_runners(hand_loss, params, x, y, 32)
        result = common.Comparison(
            {"loom": loom_run, "jit per step": hand["jit per step"], "lax.scan": hand["lax.scan"]}, epochs, rounds
        )
        rows.append((name, result, first))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 epochs")
    args = parser.parse_args(argv)
    epochs, rounds = (3, 2) if args.quick else (args.epochs, args.rounds)
    started = time.perf_counter()
    print(f"seed models, batch 32, {rounds} interleaved rounds of {epochs} epochs")
    print(f"{'model':<28} {'loom steps/s':>13} {'jit/step':>10} {'lax.scan':>10} {'loom/scan':>10} {'first epoch s':>14}")
    for name, result, first in run(epochs, rounds):
        print(
            f"{name:<28} {result.rate('loom'):>13,.0f} {result.rate('jit per step'):>10,.0f} "
            f"{result.rate('lax.scan'):>10,.0f} {result.ratio('loom', 'lax.scan'):>9.2f}x {first:>14.2f}"
        )
    bench_mixture.run()
    print(f"\n(total {time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    sys.exit(main())
