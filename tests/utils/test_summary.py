import logging

import numpy as np
import pytest

import loom
from loom.layers import Dense, Input


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    # Both rich and shutil read COLUMNS first: the summaries here do not depend on the terminal.
    monkeypatch.setenv("COLUMNS", "200")


def summary_of(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    assert len(lines) == 1
    return lines[0]


def cells_of(lines, separator):
    """The cells of one table row spread over ``lines``, each cell's wrapped parts joined."""
    parts = [line.strip(separator).split(separator) for line in lines]
    return [" ".join(p[i].strip() for p in parts if p[i].strip()) for i in range(len(parts[0]))]


def parse(text):
    """``(title, headers, rows, totals)`` of a summary, read off its box-drawing table."""
    lines = text.splitlines()
    rows, current = [], []
    for line in lines:
        if line.startswith("│"):
            current.append(line)
        elif line.startswith(("├", "└")) and current:
            rows.append(cells_of(current, "│"))
            current = []
    headers = cells_of([line for line in lines if line.startswith("┃")], "┃")
    totals = [line.strip() for line in lines if line.startswith(" ") and "params:" in line]
    return lines[0], headers, rows, totals


def test_functional_summary_shows_shapes_params_and_shared_nodes():
    a, b = Input((10,), name="a"), Input((10,), name="b")
    shared = Dense(4, name="shared")
    out = loom.ops.add(shared(a), shared(b))
    model = loom.Model([a, b], out, name="siamese")
    text = summary_of(model)
    title, headers, rows, totals = parse(text)
    assert title == 'Model: "siamese"'
    assert headers == ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    assert ["shared (Dense)", "(None, 4)", "44", "a[0][0], b[0][0]"] in rows
    assert ["add (ops.add)", "(None, 4)", "0", "shared[0][0], shared[1][0]"] in rows
    assert totals == [
        "Total params: 44 (176.00 B)", "Trainable params: 44 (176.00 B)", "Non-trainable params: 0 (0.00 B)",
    ]


def test_summary_counts_frozen_weights_as_non_trainable():
    x = Input((3,), name="x")
    frozen = Dense(2, name="frozen", trainable=False)
    model = loom.Model(x, Dense(1, name="out")(frozen(x)))
    _, headers, rows, totals = parse(summary_of(model, show_trainable=True, line_length=120))
    assert headers[-1] == "Trainable"  # at Keras's default 100 columns it shows as "Traina…", as in Keras
    assert [row[-1] for row in rows] == ["-", "N", "Y"]  # "-": the input has no weights
    assert "Trainable params: 3 (12.00 B)" in totals and "Non-trainable params: 8 (32.00 B)" in totals


def test_sequential_summary_has_no_connection_column():
    model = loom.Sequential([Input((4,)), Dense(3)], name="seq")
    text = summary_of(model)
    assert "Connected to" not in text and "dense (Dense)" in text and "input_layer" not in text


def test_a_functional_chain_is_listed_like_a_sequential_with_its_input():
    x = Input((4,), name="x")
    model = loom.Model(x, Dense(1, name="b")(Dense(3, name="a")(x)))
    _, headers, rows, _ = parse(summary_of(model))
    assert headers == ["Layer (type)", "Output Shape", "Param #"]
    assert [row[0] for row in rows] == ["x (InputLayer)", "a (Dense)", "b (Dense)"]


def test_expand_nested_and_constants():
    inner_in = Input((3,))
    inner = loom.Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    x = Input((3,))
    model = loom.Model(x, inner(x) * np.ones((1, 2), "float32"))
    _, _, rows, _ = parse(summary_of(model, expand_nested=True))
    assert [row[0] for row in rows] == [
        "input_layer_1 (InputLayer)", "inner (Functional)", "└ input_layer (InputLayer)", "└ inner_dense (Dense)",
        "multiply (ops.multiply)",
    ]
    assert rows[-1][-1] == "inner[0][0], constant (1, 2)"  # loom keeps arrays met in the graph as constants


def test_a_subclassed_model_lists_its_layers_with_the_shapes_they_were_built_on():
    class WithBlock(loom.Model):
        def __init__(self):
            super().__init__(name="with_block")
            self.block = loom.Sequential([Dense(4, name="inner")], name="block")
            self.head = Dense(2, name="head")
            self.spare = Dense(7, name="spare")  # never called

        def call(self, x):
            return self.head(self.block(x))

    model = WithBlock()
    model.build((None, 3))
    _, headers, rows, totals = parse(summary_of(model, expand_nested=True))
    assert headers == ["Layer (type)", "Output Shape", "Param #"]
    assert rows == [
        ["block (Sequential)", "(None, 4)", "16"], ["└ inner (Dense)", "(None, 4)", "16"],
        ["head (Dense)", "(None, 2)", "10"], ["spare (Dense)", "?", "0 (unbuilt)"],
    ]
    assert totals[0] == "Total params: 26 (104.00 B)" and len(totals) == 3  # no optimizer yet


def test_several_outputs_are_written_as_keras_writes_them():
    x = Input((4,), name="x")
    a, b = loom.ops.split(x, 2, axis=-1)
    model = loom.Model(x, [a, b])
    assert "[(None, 2), (None, 2)]" in summary_of(model)


def test_summary_default_prints(capsys):
    model = loom.Sequential([Input((2,)), Dense(1)])
    model.summary()
    assert "Total params: 3" in capsys.readouterr().out


def test_summary_goes_to_the_log_when_interactive_logging_is_off(capsys, caplog):
    model = loom.Sequential([Input((2,)), Dense(1)])
    loom.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="loom"):
            model.summary()
    finally:
        loom.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert "Total params: 3" in caplog.text


def test_layer_range():
    model = loom.Sequential([Input((2,)), Dense(3, name="a"), Dense(2, name="b"), Dense(1, name="c")])
    text = summary_of(model, layer_range=["b", "c"])
    assert "a (Dense)" not in text and "b (Dense)" in text
    with pytest.raises(ValueError, match="names a layer not in the summary"):
        summary_of(model, layer_range=["x", "c"])
    with pytest.raises(ValueError, match="two layer names"):
        summary_of(model, layer_range=["b"])


def test_widths_follow_the_terminal_and_line_length(monkeypatch):
    model = loom.Sequential([Input((2,)), Dense(3, name="a")])
    assert {len(line) for line in summary_of(model).splitlines()[1:5]} == {88}
    assert {len(line) for line in summary_of(model, line_length=60).splitlines()[1:5]} == {60}
    monkeypatch.setenv("COLUMNS", "80")
    assert {len(line) for line in summary_of(model).splitlines()[1:5]} == {76}
    # A captured summary is cropped at the terminal's width, as Keras's is.
    assert max(len(line) for line in summary_of(model, line_length=150).splitlines()) == 80


def test_columns_too_narrow_or_positions_of_the_wrong_length_are_named():
    model = loom.Sequential([Input((2,)), Dense(3)])
    with pytest.raises(ValueError, match="each column needs at least 4. Pass a larger line_length"):
        summary_of(model, line_length=8)
    with pytest.raises(ValueError, match="one end position per column"):
        summary_of(model, positions=[0.5, 1.0])
    relative = summary_of(model, positions=[0.5, 0.7, 1.0], line_length=60)
    assert parse(relative)[1] == ["Layer (type)", "Output Shape", "Param #"]
    assert summary_of(model, positions=[30, 42, 60], line_length=60) == relative  # absolute ends, as Keras 2


def test_an_unbuilt_model_is_listed_as_keras_lists_it():
    keras = pytest.importorskip("keras")
    texts = []
    for library in (keras, loom):
        lines = []
        library.Sequential([library.layers.Dense(3, name="d")], name="s").summary(print_fn=lines.append)
        texts.append(lines[0])
    assert texts[0] == texts[1]


# --- parity with Keras's summary ----------------------------------------------------------
class _Keras:
    """The same models in Keras and in loom, every name given, so the texts can match."""

    def __init__(self, library):
        self.lib = library

    def functional(self):
        lib = self.lib
        a, b = lib.Input((8,), name="a"), lib.Input((3,), name="b")
        h = lib.layers.Dense(4, activation="relu", name="hidden")(a)
        h = lib.layers.BatchNormalization(name="norm")(h)
        merged = lib.layers.Concatenate(name="merge")([h, b])
        return lib.Model([a, b], lib.layers.Dense(2, name="head")(merged), name="two_inputs")

    def sequential(self):
        lib = self.lib
        return lib.Sequential(
            [lib.Input((6, 6, 1)), lib.layers.Conv2D(2, 3, name="conv"), lib.layers.Flatten(name="flat"),
             lib.layers.Dense(3, name="out")],
            name="stack",
        )

    def shared(self):
        lib = self.lib
        a, b = lib.Input((5,), name="left"), lib.Input((5,), name="right")
        tower = lib.layers.Dense(3, name="tower")
        merged = lib.layers.Subtract(name="difference")([tower(a), tower(b)])
        return lib.Model([a, b], lib.layers.Dense(1, name="score")(merged), name="siamese")

    def subclassed_after_fit(self):
        lib = self.lib

        class TwoDense(lib.Model):
            def __init__(self):
                super().__init__(name="two_dense")
                self.hidden = lib.layers.Dense(5, name="hidden")
                self.out = lib.layers.Dense(1, name="out")

            def call(self, x):
                return self.out(self.hidden(x))

        model = TwoDense()
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
        return model


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def both(keras, recipe, **kwargs):
    return summary_of(getattr(_Keras(loom), recipe)(), **kwargs), summary_of(getattr(_Keras(keras), recipe)(), **kwargs)


pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.mark.parametrize("recipe", ["functional", "sequential", "shared"])
def test_graph_summaries_equal_keras(keras, recipe):
    ours, theirs = both(keras, recipe)
    assert parse(ours) == parse(theirs)
    assert ours == theirs  # box drawing included: both tables are rich's, with the same geometry


def test_shared_layer_rows_match_keras(keras):
    ours, _ = both(keras, "shared")
    _, _, rows, _ = parse(ours)
    assert ["tower (Dense)", "(None, 3)", "18", "left[0][0], right[0][0]"] in rows
    assert ["difference (Subtract)", "(None, 3)", "0", "tower[0][0], tower[1][0]"] in rows


def test_subclassed_model_after_fit_shows_shapes_and_optimizer_params_like_keras(keras):
    ours, theirs = both(keras, "subclassed_after_fit")
    (title, headers, rows, totals), (k_title, k_headers, k_rows, k_totals) = parse(ours), parse(theirs)
    assert (title, headers, totals) == (k_title, k_headers, k_totals)
    assert totals[-1] == "Optimizer params: 54 (216.00 B)"  # Adam: 2 moments per weight, iteration, learning rate
    assert [(r[0], r[2]) for r in rows] == [(r[0], r[2]) for r in k_rows]
    # Keras shows the size of the batch it was built on (8 here); loom builds on a one-row
    # probe, whose size means nothing, and shows None as for functional models.
    assert [r[1] for r in rows] == ["(None, 5)", "(None, 1)"]
    assert [r[1].split(",")[1:] for r in rows] == [r[1].split(",")[1:] for r in k_rows]


@pytest.mark.parametrize(
    "columns, options",
    [
        ("200", {}),
        ("80", {}),
        ("80", {"line_length": 150}),
        ("200", {"show_trainable": True}),
        ("80", {"show_trainable": True}),
        ("200", {"line_length": 70, "show_trainable": True}),
    ],
)
def test_line_widths_equal_keras(keras, monkeypatch, columns, options):
    monkeypatch.setenv("COLUMNS", columns)
    for recipe in ("functional", "sequential"):
        ours, theirs = both(keras, recipe, **options)
        assert [len(line) for line in ours.splitlines()] == [len(line) for line in theirs.splitlines()]
        assert ours == theirs
