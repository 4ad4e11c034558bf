"""Keras 2 backend functions (``import loom.backend as K``) against NumPy, on arrays and symbolic tensors."""

import jax
import numpy as np
import pytest

import loom
import loom.backend as K
import loom.ops as ops
from loom import layers
from loom.graph import SymbolicTensor
from loom.layers import call_context
from loom.state import Variable
from loom.utils import naming

rng = np.random.default_rng(6)
X = rng.standard_normal((2, 3, 4)).astype("float32")
Y = rng.standard_normal((2, 3, 4)).astype("float32")
MAT = rng.standard_normal((4, 5)).astype("float32")


def _einsum(subscripts):
    return lambda x, y: np.einsum(subscripts, x, y)


# (x shape, y shape, axes, numpy reference, expected shape); the first rows are the
# examples of the Keras 2 docstring.
BATCH_DOT = [
    ((32, 20), (32, 30, 20), (1, 2), _einsum("bi,bji->bj"), (32, 30)),
    ((32, 20, 1), (32, 30, 20), (1, 2), _einsum("bik,bji->bkj"), (32, 1, 30)),
    ((100, 20), (100, 30, 20), (1, 2), _einsum("bi,bji->bj"), (100, 30)),
    ((2, 2), (2, 2), 1, lambda x, y: np.einsum("bi,bi->b", x, y)[:, None], (2, 1)),
    ((4, 3), (4, 3), None, lambda x, y: np.einsum("bi,bi->b", x, y)[:, None], (4, 1)),
    ((4, 3, 5), (4, 5, 6), None, _einsum("bij,bjk->bik"), (4, 3, 6)),
    ((4, 3, 5), (4, 6, 5), (2, 2), _einsum("bij,bkj->bik"), (4, 3, 6)),
    ((4, 3, 5), (4, 3), (1, 1), _einsum("bij,bi->bj"), (4, 5)),
    ((4, 3), (4, 3, 5), (-1, 1), _einsum("bi,bij->bj"), (4, 5)),
    ((4, 2, 3, 5), (4, 5, 6, 7), (3, 1), _einsum("bijk,bkmn->bijmn"), (4, 2, 3, 6, 7)),
]


@pytest.mark.parametrize("x_shape, y_shape, axes, reference, expected_shape", BATCH_DOT)
def test_batch_dot_follows_keras_2_shape_rules(x_shape, y_shape, axes, reference, expected_shape):
    x = rng.standard_normal(x_shape).astype("float32")
    y = rng.standard_normal(y_shape).astype("float32")
    out = K.batch_dot(x, y, axes=axes)
    assert K.int_shape(out) == expected_shape
    np.testing.assert_allclose(out, reference(x, y), rtol=1e-4, atol=1e-5)
    symbolic = K.batch_dot(SymbolicTensor((None,) + x_shape[1:]), SymbolicTensor((None,) + y_shape[1:]), axes=axes)
    assert K.int_shape(symbolic) == (None,) + expected_shape[1:]


@pytest.mark.parametrize(
    "x_shape, y_shape, axes, match",
    [
        ((4,), (4, 3), 1, "rank >= 2"),
        ((4, 3), (5, 3), 1, "equal batch sizes"),
        ((4, 3), (4, 3), 0, "cannot sum over axis 0"),
        ((4, 3), (4, 5), 1, r"x.shape\[1\] == y.shape\[1\]"),
        ((4, 3), (4, 3), (1, (1,)), "an int or a pair of ints"),
        ((4, 3), (4, 3), (1, 2), "out of range"),
    ],
)
def test_batch_dot_rejects_bad_axes_with_the_shapes(x_shape, y_shape, axes, match):
    with pytest.raises(ValueError, match=match):
        K.batch_dot(np.ones(x_shape, "float32"), np.ones(y_shape, "float32"), axes=axes)


# (x shape, y shape, numpy reference) -- Keras 2's dot: x's last axis against y's second-to-last.
DOT = [
    ((2, 3), (3, 4), _einsum("ij,jk->ik")),
    ((2, 3, 4), (4, 5), _einsum("bij,jk->bik")),
    ((2, 3, 4), (5, 4, 6), _einsum("bij,kjl->bikl")),
    ((32, 28, 3), (3,), _einsum("bij,j->bi")),
    ((3,), (3, 2), _einsum("i,ij->j")),
]


@pytest.mark.parametrize("x_shape, y_shape, reference", DOT)
def test_dot_matches_tf_keras_backend_dot(x_shape, y_shape, reference):
    x = rng.standard_normal(x_shape).astype("float32")
    y = rng.standard_normal(y_shape).astype("float32")
    expected = reference(x, y)
    np.testing.assert_allclose(K.dot(x, y), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(K.dot(Variable(x), Variable(y)), expected, rtol=1e-4, atol=1e-5)
    if len(x_shape) > 1:
        symbolic = K.dot(SymbolicTensor((None,) + x_shape[1:]), y)
        assert K.int_shape(symbolic) == (None,) + expected.shape[1:]


def test_dot_names_the_mismatched_axes():
    with pytest.raises(ValueError, match=r"second-to-last axis.*\(2, 3\) and \(4, 5\)"):
        K.dot(np.ones((2, 3)), np.ones((4, 5)))


# (K function, arguments, numpy reference)
ELEMENTWISE = [
    (K.transpose, (X,), lambda x: x.T),
    (K.permute_dimensions, (X, (0, 2, 1)), lambda x, p: x.transpose(p)),
    (K.sum, (X,), lambda x: x.sum()),
    (K.sum, (X, 1, True), lambda x, a, k: x.sum(a, keepdims=k)),
    (K.mean, (X, -1), lambda x, a: x.mean(a)),
    (K.mean, (X > 0, 1), lambda x, a: x.mean(a).astype("float32")),
    (K.max, (X, 2), lambda x, a: x.max(a)),
    (K.min, (X, [1, 2]), lambda x, a: x.min(tuple(a))),
    (K.prod, (X, 1), lambda x, a: x.prod(a)),
    (K.std, (X, 1), lambda x, a: x.std(a)),
    (K.var, (X, 1), lambda x, a: x.var(a)),
    (K.any, (X > 1, 1), lambda x, a: x.any(a)),
    (K.all, (X > -1, 1), lambda x, a: x.all(a)),
    (K.exp, (X,), np.exp),
    (K.log, (np.abs(X) + 1,), np.log),
    (K.square, (X,), np.square),
    (K.sqrt, (X,), lambda x: np.sqrt(np.maximum(x, 0))),
    (K.abs, (X,), np.abs),
    (K.sign, (X,), np.sign),
    (K.round, (X * 3,), np.round),
    (K.pow, (np.abs(X), 3), np.power),
    (K.clip, (X, -0.5, 0.5), np.clip),
    (K.clip, (X, 0.5, 0.2), lambda x, lo, hi: np.clip(x, 0.5, 0.5)),
    (K.clip, (X, None, 0.2), lambda x, lo, hi: np.minimum(x, hi)),
    (K.maximum, (X, Y), np.maximum),
    (K.minimum, (X, Y), np.minimum),
    (K.equal, (X > 0, Y > 0), np.equal),
    (K.not_equal, (X > 0, Y > 0), np.not_equal),
    (K.greater, (X, Y), np.greater),
    (K.greater_equal, (X, Y), np.greater_equal),
    (K.less, (X, Y), np.less),
    (K.less_equal, (X, Y), np.less_equal),
    (K.argmax, (X,), lambda x: x.argmax(-1)),
    (K.argmin, (X, 1), lambda x, a: x.argmin(a)),
    (K.stack, ([X, Y],), np.stack),
    (K.stack, ([X, Y], 1), lambda xs, a: np.stack(xs, a)),
    (K.concatenate, ([X, Y],), lambda xs: np.concatenate(xs, -1)),
    (K.expand_dims, (X,), lambda x: x[..., None]),
    (K.squeeze, (X[:, :1], 1), lambda x, a: x.squeeze(a)),
    (K.reshape, (X, (2, 12)), np.reshape),
    (K.batch_flatten, (X,), lambda x: x.reshape(2, -1)),
    (K.flatten, (X,), np.ravel),
    (K.tile, (X, (1, 2, 1)), np.tile),
    (K.repeat_elements, (X, 2, 1), lambda x, r, a: np.repeat(x, r, a)),
    (K.gather, (MAT, np.array([3, 0, 3])), lambda m, i: m[i]),
    (K.softmax, (X,), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (K.sigmoid, (X,), lambda x: 1 / (1 + np.exp(-x))),
    (K.tanh, (X,), np.tanh),
    (K.relu, (X,), lambda x: np.maximum(x, 0)),
    (K.relu, (X, 0.1), lambda x, a: np.where(x > 0, x, a * x)),
    (K.relu, (X, 0.0, 0.5), lambda x, a, m: np.clip(x, 0, m)),
    (K.relu, (X, 0.1, None, 0.3), lambda x, a, m, t: np.where(x > t, x, a * (x - t))),
    (K.l2_normalize, (X, -1), lambda x, a: x / np.sqrt((x**2).sum(a, keepdims=True))),
    (K.l2_normalize, (X,), lambda x: x / np.sqrt((x**2).sum())),
    (K.one_hot, (np.array([0, 2]), 3), lambda i, n: np.eye(n)[i]),
    (K.cast, (X, "int32"), lambda x, d: x.astype(d)),
    (K.zeros_like, (X,), np.zeros_like),
    (K.ones_like, (X, "int32"), lambda x, d: np.ones_like(x, d)),
    (K.switch, (X > 0, X, Y), np.where),
    (K.switch, ((X > 0)[:, 0, 0], X, Y), lambda c, x, y: np.where(c[:, None, None], x, y)),
    (K.switch, (np.array(True), lambda: X, lambda: Y), lambda c, x, y: X),
    (K.categorical_crossentropy, (np.eye(4, dtype="float32")[[0, 3]], np.full((2, 4), 0.25, "float32")),
     lambda t, p: -np.log(np.full(2, 0.25))),
]


_values = []
# A few rows also run eagerly, outside the compiled program, as most user code does.
_EAGER_SAMPLES = {0, 4, 13, 47}


def _elementwise_values() -> list:
    """Every ELEMENTWISE row computed in one compiled program (one compile, not 60)."""
    if not _values:
        _values.extend(jax.jit(lambda: [fn(*args) for fn, args, _ in ELEMENTWISE])())
    return _values


ELEMENTWISE_IDS = [f"{row[0].__name__}-{i}" for i, row in enumerate(ELEMENTWISE)]


@pytest.mark.parametrize("index", range(len(ELEMENTWISE)), ids=ELEMENTWISE_IDS)
def test_backend_function_matches_numpy(index):
    fn, args, reference = ELEMENTWISE[index]
    expected = reference(*args)
    eager = fn(*args) if index in _EAGER_SAMPLES else None
    for out in [_elementwise_values()[index]] + ([eager] if eager is not None else []):
        assert K.int_shape(out) == np.shape(expected)
        np.testing.assert_allclose(np.asarray(out, dtype=np.asarray(expected).dtype), expected, rtol=1e-5, atol=1e-6)


def test_backend_functions_record_nodes_on_symbolic_tensors():
    x, y = SymbolicTensor((None, 3, 4)), SymbolicTensor((None, 3, 4))
    assert K.int_shape(K.sum(x * y, axis=-1)) == (None, 3)
    assert K.int_shape(K.concatenate([x, y])) == (None, 3, 8)
    assert K.int_shape(K.stack([x, y], axis=1)) == (None, 2, 3, 4)
    assert K.int_shape(K.batch_flatten(x)) == (None, 12)
    assert K.int_shape(K.switch(K.greater(x, 0), x, y)) == (None, 3, 4)
    normalized = K.l2_normalize(x, axis=-1)
    assert normalized.shape == (None, 3, 4) and normalized.node.operation.function_name == "multiply"
    assert K.exp(x).node.operation.function_name == "exp"
    assert K.ndim(x) == 3 and K.dtype(x) == "float32" and K.is_keras_tensor(x) and not K.is_keras_tensor(X)


def test_constants_variables_and_values():
    c = K.constant([[1, 2]])
    assert c.dtype == "float32" and K.int_shape(c) == (1, 2)
    np.testing.assert_array_equal(K.constant(3, shape=(2, 2)), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(K.constant([1, 2, 3, 4], "int32", shape=(2, 2)), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="cannot take shape"):
        K.constant([1, 2, 3], shape=(2, 2))
    v = K.variable(np.arange(3), name="counts")
    assert isinstance(v, Variable) and v.dtype == "float32" and v.name == "counts"
    K.set_value(v, [4, 5, 6])
    np.testing.assert_array_equal(K.get_value(v), [4.0, 5.0, 6.0])
    K.batch_set_value([(v, np.zeros(3))])
    assert [a.tolist() for a in K.batch_get_value([v])] == [[0.0, 0.0, 0.0]]
    np.testing.assert_array_equal(K.eval(K.ones((2,))), [1.0, 1.0])
    assert isinstance(K.zeros((2, 2)), Variable) and K.count_params(K.eye(3)) == 9
    # A symbolic tensor times a K.variable / K.constant makes a graph constant.
    x = SymbolicTensor((None, 3))
    assert (x * v).shape == (None, 3) and (x * K.constant([1, 2, 3])).shape == (None, 3)
    with pytest.raises(TypeError, match="needs concrete numbers"):
        K.variable(x)
    with pytest.raises(TypeError, match="needs a variable"):
        K.set_value(np.zeros(3), [1, 2, 3])


def test_random_draws_are_seeded_and_shaped():
    a, b, u = jax.jit(
        lambda: (
            K.random_normal((1000,), mean=2.0, stddev=0.5, seed=3),
            K.random_normal((1000,), mean=2.0, stddev=0.5, seed=3),
            K.random_uniform((1000,), minval=-1.0, maxval=3.0, seed=4),
        )
    )()
    np.testing.assert_array_equal(a, b)
    assert abs(float(np.mean(a)) - 2.0) < 0.1 and abs(float(np.std(a)) - 0.5) < 0.1
    assert u.dtype == "float32" and float(u.min()) >= -1.0 and float(u.max()) < 3.0
    assert K.random_uniform((2, 3)).shape == (2, 3)


def test_config_epsilon_floatx_and_clear_session():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32" and K.backend() == "jax"
    assert K.image_data_format() == "channels_last"
    try:
        K.set_epsilon(1e-5)
        assert K.epsilon() == 1e-5
        K.set_floatx("float16")
        assert K.floatx() == "float16" and K.variable([1.0]).dtype == "float16"
    finally:
        K.set_epsilon(1e-7)
        K.set_floatx("float32")
    naming.unique_name("dense")
    assert naming.unique_name("dense") == "dense_1"
    K.clear_session()
    assert naming.unique_name("dense") == "dense"


def test_function_replays_an_ops_graph_on_arrays():
    x, y = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 3), name="y")
    assert K.placeholder(ndim=2).shape == (None, None) and y.name == "y"
    doubled = ops.multiply(x, 2.0) + y
    total = K.sum(doubled * x, axis=-1)
    f = K.function([x, y], [doubled, total])
    a = rng.standard_normal((4, 3))
    b = rng.standard_normal((4, 3)).astype("float32")
    out_doubled, out_total = f([a, b])
    assert isinstance(out_doubled, np.ndarray) and out_doubled.dtype == np.float32
    np.testing.assert_allclose(out_doubled, 2 * a + b, rtol=1e-5)
    np.testing.assert_allclose(out_total, ((2 * a + b) * a).sum(-1), rtol=1e-5)
    # A single output (not in a list) comes back as a single array.
    np.testing.assert_allclose(K.function([x, y], total)([a, b]), out_total, rtol=1e-6)


def test_function_feeds_the_learning_phase_as_the_training_flag():
    seen = []

    class RecordsTraining(ops.Operation):
        def call(self, inputs, training=None):
            return inputs * 3.0

        def _replay(self, args, kwargs, node, input_masks):
            seen.append(call_context.current().training)
            return self.call(*args, **kwargs), None

    x = SymbolicTensor((None, 2))
    out = K.softmax(RecordsTraining()(x))
    f = K.function([x, K.learning_phase()], [out])
    for phase in (1, 0):
        (result,) = f([np.ones((3, 2)), phase])
        np.testing.assert_allclose(result, np.full((3, 2), 0.5), rtol=1e-6)
    assert seen == [True, False]
    assert repr(K.learning_phase()) == "<K.learning_phase()>"


def test_function_explains_wrong_use():
    x, y = SymbolicTensor((None, 3)), SymbolicTensor((None, 3))
    with pytest.raises(ValueError, match="not among `inputs`"):
        K.function([x], [x + y])
    f = K.function([x, y], [x + y])
    with pytest.raises(ValueError, match="built with 2 inputs but called with 1"):
        f([np.ones((1, 3))])
    with pytest.raises(TypeError, match=r"outputs\[0\] must be a symbolic tensor"):
        K.function([x], [np.ones(3)])
    with pytest.raises(ValueError, match="`updates` are not supported"):
        K.function([x], [x], updates=[(x, x)])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a symbolic tensor .* or K.learning_phase\(\)"):
        K.function([x, 0], [x])
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        K.function([x], [x], session=None)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: K.placeholder(), ValueError, "needs `shape` or `ndim`"),
        (lambda: K.placeholder((None, 3), sparse=True), ValueError, "sparse placeholders are not supported"),
        (lambda: K.switch(X > 0, X[0], Y[0]), ValueError, "condition's rank"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_function_on_a_model_runs_dropout_only_in_the_training_phase():
    inputs = layers.Input((3,))
    hidden = layers.Dense(4)(inputs)
    outputs = layers.Dense(2)(layers.Dropout(0.5)(hidden))
    model = loom.Model(inputs, outputs)
    f = K.function([model.input, K.learning_phase()], [hidden, model.output])
    x = rng.standard_normal((5, 3)).astype("float32")
    (hidden_test, out_test), (_, out_train_1), (_, out_train_2) = f([x, 0]), f([x, 1]), f([x, 1])
    np.testing.assert_allclose(out_test, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    kernel, bias = model.layers[1].get_weights()
    np.testing.assert_allclose(hidden_test, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    # Each training-phase call draws a fresh dropout mask, and none leaks into inference.
    assert not np.allclose(out_train_1, out_train_2)
    np.testing.assert_allclose(f([x, 0])[1], out_test, rtol=1e-6)
