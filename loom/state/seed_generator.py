"""Seeded random state: SeedGenerator and the global seed behind unseeded draws."""

import random as _py_random

import jax
import numpy as np

from loom.state import stateless_scope
from loom.state.variable import Variable


class SeedGenerator:
    """Hands out fresh ``jax.random`` keys from a seed.

    Eagerly, each ``next()`` advances the generator's state variable. Inside a
    stateless scope that carries an rng (a compiled training step), keys come
    from that rng instead, so the step is a pure function of its key.

    Args:
        seed: an int for a reproducible stream; None draws a seed from the
            global seed (see ``loom.utils.set_random_seed``).
    """

    def __init__(self, seed: int | None = None, name: str | None = None):
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"SeedGenerator: `seed` must be an int or None; received seed={seed!r}.")
        self.seed = int(seed)
        self.name = name or "seed_generator"
        self.state = Variable(raw_key(self.seed), dtype="uint32", trainable=False, name=f"{self.name}_state")

    def next(self):
        key = stateless_scope.scope_rng_key()
        if key is not None:
            return key
        state = self.state.value
        new_state, key = jax.random.split(state)
        self.state.assign(new_state)
        return key

    def get_config(self) -> dict:
        return {"seed": self.seed}

    def __repr__(self):
        return f"<SeedGenerator seed={self.seed}>"


_global = {"python": _py_random.Random(), "numpy": np.random.default_rng(), "generator": None, "seeded": False}


def set_global_seed(seed: int) -> None:
    """Seed Python's, NumPy's and loom's global random streams."""
    _py_random.seed(seed)
    np.random.seed(seed)
    _global["python"] = _py_random.Random(seed)
    _global["numpy"] = np.random.default_rng(seed)
    _global["generator"] = None
    _global["seeded"] = True


def global_seed_was_set() -> bool:
    """Whether ``set_global_seed`` (``loom.utils.set_random_seed``) has been called."""
    return _global["seeded"]


def raw_key(seed: int):
    """``jax.random.PRNGKey(seed)``, built on the host when that is the same thing.

    PRNGKey runs two small programs, each compiled on first use (tens of milliseconds
    on a CPU, part of every script's first fit). With the default threefry keys, the
    key of a seed in [0, 2**31) is the pair ``[0, seed]`` of uint32 (``[seed >> 32,
    seed & 0xFFFFFFFF]``), whatever ``jax_enable_x64`` says.
    """
    if 0 <= seed < 2**31 and jax.config.jax_default_prng_impl == "threefry2x32":
        return jax.device_put(np.array([0, seed], dtype=np.uint32))
    with jax.ensure_compile_time_eval():
        return jax.random.PRNGKey(seed)


def make_default_seed() -> int:
    return _global["python"].randint(0, 2**31 - 1)


def global_numpy_rng() -> np.random.Generator:
    """The stream that unseeded initializers draw from."""
    return _global["numpy"]


def global_seed_generator() -> SeedGenerator:
    """The generator behind unseeded eager random ops (``loom.random.normal(shape)``)."""
    if _global["generator"] is None:
        _global["generator"] = SeedGenerator(make_default_seed(), name="global_seed_generator")
    return _global["generator"]


def draw_key(seed):
    """A key from an int, a SeedGenerator, a raw key array, or None (the global stream)."""
    if seed is None:
        scoped = stateless_scope.scope_rng_key()
        if scoped is not None:
            return scoped
        return global_seed_generator().next()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return jax.random.PRNGKey(int(seed))
    if hasattr(seed, "shape") and tuple(seed.shape) == (2,):
        return seed
    raise TypeError(
        f"`seed` must be an int, a loom.random.SeedGenerator, a jax.random key or None; "
        f"received seed={seed!r}."
    )
