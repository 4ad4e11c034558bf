"""Lambda functions stored as source plus captured values: seed-style lambdas round trip in
safe mode; hostile sources in a file are refused before anything runs."""

import json
import os
import zipfile

import numpy as np
import pytest

import loom
from loom import layers, ops
from loom.saving import SerializationError, UnsafeCodeError, register_keras_serializable
from tests.saving.saving_helpers import assert_bitwise_equal, round_trip

SCALE = np.array([0.5, 2.0, -1.0], dtype="float32")  # a module-level array a lambda refers to
OFFSET = 0.25


def _two_input_model():
    """Seed 001's shape: f(x, x_pk) against a constant subset, with a captured coefficient array."""
    x_pk = np.random.default_rng(3).normal(size=(2, 3)).astype("float32")
    coefficients = np.array([2.0, 1.5, 3.0], dtype="float32")

    def calculate_f(x, x_pk):
        # (batch, 1, n) against (1, m, n)
        return ops.exp((ops.expand_dims(x, 1) - ops.expand_dims(x_pk, 0)) / coefficients)

    x = loom.Input((3,), name="x")
    rows = loom.Input(tensor=x_pk, name="x_pk")
    out = layers.Lambda(calculate_f, name="f")([x, rows])
    out = layers.Lambda(lambda t: ops.sum(t, axis=-1), name="sum_n")(out)
    return loom.Model([x, rows], out, name="two_input")


def _weighted_model():
    """Seed 004's shape: `lambda x: x * w` with a captured constant vector (closure and default)."""
    inputs = loom.Input((3,), name="x")
    w = np.array([1.0, 0.5, 2.0], dtype="float32")
    by_closure = layers.Lambda(lambda x: x * w, name="closure")(inputs)
    by_default = layers.Lambda(lambda t, w=np.asarray(w * 3, "float32"): t * w, name="default")(inputs)
    by_global = layers.Lambda(lambda t: t * SCALE + OFFSET, name="global")(inputs)
    return loom.Model(inputs, [by_closure, by_default, by_global], name="weighted")


X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")


@pytest.mark.parametrize("build", [_two_input_model, _weighted_model])
def test_seed_style_lambdas_round_trip_in_safe_mode(build, tmp_path):
    model = build()
    expected = model(X)
    loaded = round_trip(model, tmp_path / "m.keras")  # safe_mode=True is the default
    assert_bitwise_equal(loaded(X), expected)
    again = round_trip(loaded, tmp_path / "again.keras")  # a loaded function saves again
    assert_bitwise_equal(again(X), expected)


def test_lambda_is_stored_as_source_and_captured_arrays_as_weights(tmp_path):
    _two_input_model().save(tmp_path / "m.loom")
    with zipfile.ZipFile(tmp_path / "m.loom") as archive:
        config = json.loads(archive.read("config.json"))
    entry = next(e for e in config["config"]["layers"] if e["name"] == "f")
    function = entry["config"]["function"]
    assert function["class_name"] == "__lambda_source__"
    assert function["config"]["source"].startswith("def calculate_f(x, x_pk):")
    captures = function["config"]["captures"]
    assert captures["ops"] == {"kind": "module", "name": "loom.ops"}
    assert captures["coefficients"]["value"]["class_name"] == "__array__"
    key = captures["coefficients"]["value"]["config"]["key"]
    stored = loom.saving.read_archive(tmp_path / "m.loom").weights
    np.testing.assert_array_equal(stored.array(key), [2.0, 1.5, 3.0])
    assert "code" not in json.dumps(config)  # no bytecode anywhere


def test_lambda_arguments_output_shape_and_mask_round_trip(tmp_path):
    inputs = loom.Input((3,), name="x")
    bias = np.array([1.0, 2.0, 3.0], dtype="float32")
    shift = layers.Lambda(
        lambda t, bias, axes: ops.sum(t + bias, axis=axes),
        arguments={"bias": bias, "axes": (1,)},
        output_shape=lambda shape: (shape[0],),
        name="shift",
    )(inputs)
    model = loom.Model(inputs, shift)
    loaded = round_trip(model, tmp_path / "m.keras")
    layer = loaded.get_layer("shift")
    assert layer.arguments["axes"] == (1,) and isinstance(layer.arguments["bias"], np.ndarray)
    assert layer.output_shape_arg((7, 3)) == (7,)
    assert_bitwise_equal(loaded(X), model(X))


def test_named_and_registered_functions_are_stored_by_name(tmp_path):
    @register_keras_serializable(package="SavingTests", name="cube")
    def cube(t):
        return t * t * t

    inputs = loom.Input((3,), name="x")
    model = loom.Model(inputs, [layers.Lambda(ops.abs, name="abs")(inputs), layers.Lambda(cube, name="cube")(inputs)])
    config = model.get_config()
    functions = {e["name"]: e["config"]["function"] for e in config["layers"] if e["class_name"] == "Lambda"}
    assert functions["abs"] == {
        "module": "loom.ops",
        "class_name": "function",
        "config": "abs",
        "registered_name": None,
    }
    assert functions["cube"]["registered_name"] == "SavingTests>cube"
    loaded = round_trip(model, tmp_path / "m.keras")
    assert loaded.get_layer("cube").function is cube
    assert_bitwise_equal(loaded(X), model(X))


def test_custom_objects_replace_a_stored_function_by_name(tmp_path):
    def double(t):
        return t * 2.0

    inputs = loom.Input((3,))
    loom.Model(inputs, layers.Lambda(double, name="d")(inputs)).save(tmp_path / "m.keras")

    def triple(t):
        return t * 3.0

    loaded = loom.models.load_model(tmp_path / "m.keras", custom_objects={"double": triple})
    np.testing.assert_allclose(loaded(X), X * 3.0)


def test_a_source_function_is_never_replaced_by_a_registered_function_of_the_same_name(tmp_path):
    @register_keras_serializable(package="ShadowTests", name="double")
    def double(t):
        return t * 2.0

    def local_double():
        def double(t):  # another function under the registered one's bare name
            return t * 3.0

        return double

    inputs = loom.Input((3,), name="x")
    registered = layers.Lambda(double, name="registered")(inputs)
    local = layers.Lambda(local_double(), name="local")(inputs)
    model = loom.Model(inputs, [registered, local])
    functions = {
        e["name"]: e["config"]["function"] for e in model.get_config()["layers"] if e["class_name"] == "Lambda"
    }
    assert functions["registered"]["registered_name"] == "ShadowTests>double"
    assert functions["local"]["class_name"] == "__lambda_source__"
    for safe_mode in (True, False):
        loaded = round_trip(model, tmp_path / "m.keras", safe_mode=safe_mode)
        assert loaded.get_layer("registered").function is double
        assert loaded.get_layer("local").function is not double
        twice, thrice = loaded(X)
        np.testing.assert_allclose(twice, X * 2.0)
        np.testing.assert_allclose(thrice, X * 3.0)


def test_function_without_source_cannot_be_saved(tmp_path):
    namespace = {"ops": ops}
    exec("def hidden(t):\n    return ops.abs(t)\n", namespace)  # noqa: S102 - no source file on purpose
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Lambda(namespace["hidden"])(inputs))
    with pytest.raises(SerializationError, match="source of hidden is not available"):
        model.save(tmp_path / "m.keras")
    assert not os.path.exists(tmp_path / "m.keras")


def test_capturing_an_unstorable_object_is_a_clear_error(tmp_path):
    layer = layers.Dense(2)
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Lambda(lambda t: t * len(layer.name), name="odd")(inputs))
    with pytest.raises(SerializationError, match="captures `layer` = Dense"):
        model.save(tmp_path / "m.keras")


# --- hostile files ------------------------------------------------------------------------
def _saved_with_source(tmp_path, source, captures=None):
    """A model file whose Lambda's stored source was replaced (as an attacker would)."""
    inputs = loom.Input((3,), name="x")
    model = loom.Model(inputs, layers.Lambda(lambda t: ops.abs(t), name="evil")(inputs))
    path = tmp_path / "evil.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    entry = next(e for e in config["config"]["layers"] if e["name"] == "evil")
    entry["config"]["function"]["config"]["source"] = source
    if captures is not None:
        entry["config"]["function"]["config"]["captures"] = captures
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


HOSTILE = [
    ("lambda t: __import__('os').system('touch {marker}')", "`__import__`"),
    ("def f(t):\n    import os\n    os.system('touch {marker}')\n    return t", "import (line 2"),
    ("lambda t: open('{marker}', 'w').write('x')", "`open`"),
    ("lambda t: eval(\"open('{marker}', 'w')\")", "`eval`"),
    ("lambda t: exec(\"open('{marker}', 'w')\")", "`exec`"),
    ("lambda t: getattr(ops, 'abs')(t)", "`getattr`"),
    ("lambda t: ().__class__.__bases__[0].__subclasses__()", "private attribute `.__class__`"),
    ("lambda t: ops.abs.__globals__['__builtins__']['open']('{marker}', 'w')", "private attribute `.__globals__`"),
    ("lambda t: ops.core.os", "`loom.ops.core`"),
    ("lambda t: np.save('{marker}', t)", "`numpy.save`"),
    ("lambda t: t.tofile('{marker}')", "attribute `.tofile`"),
    ("def f(t):\n    while True:\n        pass\n    return t", "while loop (line 2"),
    ("lambda t: [1 for _ in range(10**12)]", "range()"),
    ("lambda t: 9 ** 9 ** 9", "a power this large"),
]


@pytest.mark.parametrize("source, construct", HOSTILE, ids=[h[1] for h in HOSTILE])
def test_hostile_lambda_source_is_refused_in_safe_mode_and_runs_nothing(source, construct, tmp_path):
    marker = tmp_path / "marker"
    captures = {"ops": {"kind": "module", "name": "loom.ops"}, "np": {"kind": "module", "name": "numpy"}}
    path = _saved_with_source(tmp_path, source.format(marker=marker), captures)
    with pytest.raises(UnsafeCodeError) as caught:
        loom.models.load_model(path)
    assert construct in str(caught.value)
    assert "safe_mode=False" in str(caught.value)
    assert not marker.exists()


def test_a_stored_module_outside_the_allowlist_is_never_imported(tmp_path):
    marker = tmp_path / "marker"
    captures = {"os": {"kind": "module", "name": "os"}}
    path = _saved_with_source(tmp_path, f"lambda t: os.system('touch {marker}')", captures)
    for safe_mode in (True, False):
        with pytest.raises(UnsafeCodeError, match="module 'os'"):
            loom.models.load_model(path, safe_mode=safe_mode)
    assert not marker.exists()


def test_keras_bytecode_lambdas_are_refused(tmp_path):
    path = _saved_with_source(tmp_path, "lambda t: t")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    entry = next(e for e in config["config"]["layers"] if e["name"] == "evil")
    entry["config"]["function"] = {
        "class_name": "__lambda__",
        "config": {"code": "4wEAAAAA", "defaults": None, "closure": None},
    }
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    for safe_mode in (True, False):
        with pytest.raises(UnsafeCodeError, match="bytecode"):
            loom.models.load_model(path, safe_mode=safe_mode)


def test_unsafe_mode_runs_stored_source_with_python(tmp_path):
    path = _saved_with_source(tmp_path, "lambda t: type(t) is not None and t * 2", {})
    with pytest.raises(UnsafeCodeError, match="`type`"):
        loom.models.load_model(path)
    loaded = loom.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded(X), X * 2)


def test_seed_lambdas_also_load_with_python_in_unsafe_mode(tmp_path):
    model = _two_input_model()
    loaded = round_trip(model, tmp_path / "m.keras", safe_mode=False)
    assert_bitwise_equal(loaded(X), model(X))


def _halved_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1) * 0.5


def test_a_loss_function_is_stored_as_source_and_compiled_again(tmp_path):
    inputs = loom.Input((3,))
    model = loom.Model(inputs, layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss=_halved_squared_error, metrics=["mae"])
    loaded = round_trip(model, tmp_path / "m.keras")
    loss = loaded._compile_args["loss"]
    assert loaded._compile_args["metrics"] == ["mae"]
    y_true, y_pred = X[:, :2], X[:, 1:]
    assert_bitwise_equal(loss(y_true, y_pred), _halved_squared_error(y_true, y_pred))
