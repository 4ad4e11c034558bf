import jax
import jax.numpy as jnp
import numpy as np
import pytest

from loom import random
from loom.state.seed_generator import SeedGenerator
from loom.state.stateless_scope import StatelessScope


def test_same_seed_same_stream_and_draws_differ():
    a, b = SeedGenerator(7), SeedGenerator(7)
    first, second = a.next(), a.next()
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, b.next())


def test_scope_rng_overrides_generator_state():
    gen = SeedGenerator(3)
    state = gen.state.numpy().copy()
    with StatelessScope(rng=jax.random.PRNGKey(0)):
        k1, k2 = gen.next(), gen.next()
    assert not np.array_equal(k1, k2)
    np.testing.assert_array_equal(gen.state.numpy(), state)
    with StatelessScope(rng=jax.random.PRNGKey(0)):
        np.testing.assert_array_equal(gen.next(), k1)


def test_bad_seed_type():
    with pytest.raises(TypeError, match="seed"):
        SeedGenerator("x")


def test_random_draws_are_reproducible_with_int_seed():
    np.testing.assert_array_equal(random.normal((3,), seed=1), random.normal((3,), seed=1))
    u = random.uniform((1000,), minval=2.0, maxval=3.0, seed=2)
    assert 2.0 <= float(u.min()) and float(u.max()) < 3.0


def test_dropout_zeroes_and_rescales():
    x = jnp.ones((10000,))
    y = np.asarray(random.dropout(x, 0.25, seed=SeedGenerator(0)))
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / 0.75, rtol=1e-6)
    assert abs((y == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="rate"):
        random.dropout(x, 1.0)


def test_unseeded_draws_follow_global_seed():
    from loom.utils import set_random_seed

    set_random_seed(5)
    a = random.normal((4,))
    set_random_seed(5)
    np.testing.assert_array_equal(a, random.normal((4,)))


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 987654321, 2**31 - 1])
def test_raw_key_is_prngkey_of_the_seed(seed):
    # Built on the host to skip two compiles; it must be the very key PRNGKey gives.
    from loom.state.seed_generator import raw_key

    key = raw_key(seed)
    assert key.dtype == jax.random.PRNGKey(seed).dtype
    np.testing.assert_array_equal(np.asarray(key), np.asarray(jax.random.PRNGKey(seed)))
    with jax.enable_x64(True):
        np.testing.assert_array_equal(np.asarray(raw_key(seed)), np.asarray(jax.random.PRNGKey(seed)))


def test_raw_key_outside_the_host_range_falls_back_to_prngkey():
    from loom.state.seed_generator import raw_key

    for seed in (-1, 2**31):
        np.testing.assert_array_equal(np.asarray(raw_key(seed)), np.asarray(jax.random.PRNGKey(seed)))
