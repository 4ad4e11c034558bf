"""``python -m loom.demo``: build, summarize, run and train each seed model.

For each of the five questions loom answers (see ``loom/demo/seeds.py``): the
model's summary, a prediction on synthetic data with its output shape, then a
short training run with Keras-style progress and the final metrics.
"""

import argparse
import time
import warnings

import numpy as np

import loom
from loom.demo import seeds


def _section(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def _describe(outputs) -> str:
    if isinstance(outputs, list):
        return ", ".join(str(o.shape) for o in outputs)
    return str(outputs.shape)


def demo_dot_product(epochs: int, verbose: int) -> None:
    _section("(a) seed 000: a shared layer's outputs dotted with a projection, summed, thresholded")
    model = seeds.dot_product_model()
    model.summary()
    x, y = seeds.dot_product_data(samples=256)
    print("predict ->", _describe(model.predict(x)))
    model.compile(loom.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=verbose)
    norms = np.linalg.norm(model.get_layer("ld").get_weights()[0], axis=0)
    print(f"final loss {history.history['loss'][-1]:.4f}; shared kernel column norms in [{norms.min():.6f}, {norms.max():.6f}]")


def demo_constant_subset(epochs: int, verbose: int) -> None:
    _section("(b) seed 001: a constant data subset inside the model, per-element trainable weights")
    x_pk, c, x, y = seeds.constant_subset_data(samples=512)
    model = seeds.constant_subset_model(x_pk, c)
    model.summary()
    print("predict (x only: the constant input feeds itself) ->", _describe(model.predict(x)))
    model.compile(loom.optimizers.Adam(0.05), "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=verbose)
    print(f"final loss {history.history['loss'][-1]:.4f}, accuracy {history.history['accuracy'][-1]:.3f} (chance 0.33)")


def demo_mixture(epochs: int, verbose: int) -> None:
    _section("(c) seed 002: three MLPs mixed by trainable weights that stay positive and sum to 1")
    model = seeds.mixture_model()
    model.summary()
    xs, y = seeds.mixture_data(samples=1000)
    print("predict ->", _describe(model.predict(xs)))
    model.compile("adam", "mse")
    history = model.fit(xs, y, epochs=epochs, batch_size=32, verbose=verbose, validation_split=0.2)
    weights = model.get_layer("mix").mixture_weights
    print(f"final val_loss {history.history['val_loss'][-1]:.4f}; mixture weights {np.round(weights, 4)} sum {weights.sum():.6f}")


def demo_siamese(epochs: int, verbose: int) -> None:
    _section("(d) seed 003: one tower shared by two inputs, and the node API")
    model, shared, encoded_a, encoded_b = seeds.siamese_model()
    model.summary()
    print("shared.get_output_at(0) is encoded_a:", shared.get_output_at(0) is encoded_a)
    print("shared.get_output_at(1) is encoded_b:", shared.get_output_at(1) is encoded_b)
    print("shared.get_input_shape_at(1):", shared.get_input_shape_at(1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = shared.output  # as in Keras 3: the first call's output, with a warning naming the others
    print("shared.output is encoded_a:", first is encoded_a, "|", str(caught[0].message).split(";")[0] if caught else "")
    xs, y = seeds.siamese_data(samples=512)
    print("predict ->", _describe(model.predict(xs)))
    model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(xs, y, epochs=epochs, batch_size=32, verbose=verbose, validation_split=0.2)
    print(f"final val_accuracy {history.history['val_accuracy'][-1]:.3f} (chance 0.5)")


def demo_ensemble(epochs: int, verbose: int) -> None:
    _section("(e) seed 004: trained models weighted per class by constant vectors, averaged")
    x, y = seeds.ensemble_data(samples=600)
    members = [seeds.make_model((4,), d) for d in (8, 10, 12)]
    for member in members:
        member.compile(loom.optimizers.Adam(0.02), "categorical_crossentropy", metrics=["accuracy"])
        member.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    class_weights = [np.array([0.9, 0.8, 0.7]), np.array([0.6, 0.9, 0.8]), np.array([0.8, 0.7, 0.9])]
    ensemble, probe = seeds.ensemble_model(members, class_weights)
    ensemble.summary()
    branches = probe.predict([x, x, x])
    print("weighted branches ->", _describe(branches))
    ensemble.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    members_accuracy = [m.evaluate(x, y, verbose=0)[1] for m in members]
    print(f"members' accuracy {np.round(members_accuracy, 3)}; ensemble {ensemble.evaluate([x, x, x], y, verbose=0)[1]:.3f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loom.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs per model (default 10)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="fit's verbose setting")
    args = parser.parse_args(argv)
    loom.utils.set_random_seed(0)
    started = time.perf_counter()
    for demo in (demo_dot_product, demo_constant_subset, demo_mixture, demo_siamese, demo_ensemble):
        demo(args.epochs, args.verbose)
    print(f"\nAll five seed models built, ran and trained in {time.perf_counter() - started:.1f}s.")


if __name__ == "__main__":
    main()
