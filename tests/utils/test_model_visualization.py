import html
import os
import re
import shutil
import struct
import sys
import types

import numpy as np
import pytest

import loom
from loom import ops
from loom.demo import seeds
from loom.layers import Concatenate, Conv2D, Dense, Input
from loom.utils import model_visualization
from loom.utils.model_visualization import model_to_dot, plot_model

graphviz = pytest.importorskip("graphviz")

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not on PATH")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- reading the DOT text back ------------------------------------------------------
def _plain(label: str) -> str:
    """A box's text as it reads in the picture: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", label.replace("<br/>", "\n")))


def boxes(dot) -> dict:
    """{DOT id: (title, full text)} of every box."""
    found = {}
    for node_id, label in re.findall(r"^\s*(\w+) \[label=<(.*)> border=", dot.source, re.MULTILINE):
        title = html.unescape(re.search(r"<b>(.*?)</b>", label).group(1))
        found[node_id] = (title, _plain(label))
    return found


def box_ids(dot) -> dict:
    """{title: DOT id}; a title shown twice would be a layer drawn twice."""
    ids = {}
    for node_id, (title, _) in boxes(dot).items():
        assert title not in ids, f"{title} drawn twice"
        ids[title] = node_id
    return ids


def text_of(dot, title: str) -> str:
    return boxes(dot)[box_ids(dot)[title]][1]


def edges(dot) -> list:
    """[(tail title, head title, edge label or '')] in the order they were written."""
    titles = {node_id: title for node_id, (title, _) in boxes(dot).items()}
    found = []
    for tail, head, attributes in re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\]$", dot.source, re.MULTILINE):
        label = re.search(r'\blabel="([^"]*)"|xlabel="([^"]*)"', attributes)
        text = next((group for group in label.groups() if group), "").strip() if label else ""
        found.append((titles[tail], titles[head], text))
    return found


def png_size(data: bytes) -> tuple:
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])  # IHDR: width, height


# --- models -----------------------------------------------------------------------
def small_model():
    x = Input((4,), name="x")
    h = Dense(3, activation="relu", name="hidden")(x)
    y = Dense(2, name="out")(h)
    return loom.Model(x, y, name="small")


def thrice_shared_model():
    inputs = [Input((5,), name=f"in_{i}") for i in range(3)]
    shared = Dense(4, name="shared")
    encoded = [shared(x) for x in inputs]
    merged = Concatenate(name="merge")(encoded)
    return loom.Model(inputs, Dense(1, name="head")(merged), name="thrice")


def nested_model():
    x = Input((6,), name="x_in")
    tower = loom.Model(x, Dense(3, name="t_dense")(Dense(4, name="t_hidden")(x)), name="tower")
    head = loom.Sequential([Input((6,)), Dense(2, name="h1"), Dense(1, name="h2")], name="head")
    a, b = Input((6,), name="a"), Input((6,), name="b")
    merged = Concatenate(name="merge")([tower(a), tower(b)])
    return loom.Model([a, b], head(merged), name="outer")


# --- DOT text ---------------------------------------------------------------------
def test_functional_model_has_a_box_per_layer_and_an_edge_per_tensor():
    dot = model_to_dot(small_model())
    assert isinstance(dot, graphviz.Digraph)
    assert set(box_ids(dot)) == {"x", "hidden", "out"}
    assert edges(dot) == [("x", "hidden", ""), ("hidden", "out", "")]
    assert text_of(dot, "hidden") == "hidden (Dense)"
    # Keras's graph attributes and defaults; no labelled edge, so edges may merge.
    assert re.search(r"graph \[concentrate=true dpi=200 rankdir=TB splines=ortho\]", dot.source)


def test_a_layer_shared_three_times_is_one_box_with_a_labelled_edge_per_call():
    model = thrice_shared_model()
    dot = model_to_dot(model)
    assert list(box_ids(dot)).count("shared") == 1
    shared_edges = [edge for edge in edges(dot) if "shared" in edge[:2]]
    assert sorted(shared_edges) == sorted(
        [(f"in_{i}", "shared", f"node {i}") for i in range(3)] + [("shared", "merge", f"node {i}") for i in range(3)]
    )
    # The labels are the node indices of the node API.
    shared = model.get_layer("shared")
    for i in range(3):
        assert shared.get_input_at(i) is model.inputs[i]
    # Labelled edges must stay apart: concentrate would merge the three into "merge".
    assert "concentrate=false" in dot.source
    assert ("merge", "head", "") in edges(dot)


def test_edge_labels_use_xlabel_for_orthogonal_edges_and_label_otherwise():
    model = thrice_shared_model()
    assert 'xlabel=" node 1 "' in model_to_dot(model).source
    curved = model_to_dot(model, splines="curved").source
    assert "xlabel=" not in curved and '[label=" node 1 "' in curved and "splines=curved" in curved


def test_an_edge_between_two_shared_layers_names_both_calls():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    first, second = Dense(3, name="first"), Dense(3, name="second")
    first(second(a))  # node 0 of both, outside the model below: labels are global node indices
    from_a, from_b = first(a), first(b)  # first: nodes 1, 2
    model = loom.Model([a, b], [second(from_b), second(from_a)], name="crossed")  # second: nodes 1, 2
    labels = {edge for edge in edges(model_to_dot(model)) if edge[:2] == ("first", "second")}
    assert labels == {("first", "second", "node 2 \u2192 node 1"), ("first", "second", "node 1 \u2192 node 2")}
    assert second.get_input_at(1) is first.get_output_at(2)


def test_shared_layer_on_two_shapes_shows_each_calls_shapes():
    conv = Conv2D(2, 3, padding="same", name="conv")
    a, b = Input((8, 8, 3), name="a"), Input((16, 16, 3), name="b")
    model = loom.Model([a, b], [conv(a), conv(b)])
    text = text_of(model_to_dot(model, show_shapes=True), "conv")
    assert "Input shape: node 0: (None, 8, 8, 3)\nnode 1: (None, 16, 16, 3)" in text
    assert "Output shape: node 0: (None, 8, 8, 2)\nnode 1: (None, 16, 16, 2)" in text
    assert conv.get_input_shape_at(1) == (None, 16, 16, 3)


def test_a_tensor_fed_twice_to_one_call_is_one_edge_as_in_keras():
    x = Input((3,), name="x")
    h = Dense(3, name="h")(x)
    model = loom.Model(x, Concatenate(name="twice")([h, h]))
    dot = model_to_dot(model, show_shapes=True)
    assert edges(dot) == [("x", "h", ""), ("h", "twice", "")]
    assert "Input shape: [(None, 3), (None, 3)]" in text_of(dot, "twice")


def test_nested_model_fed_by_name_is_wired_to_the_inputs_it_names():
    # Keys that sort against the inputs' order: pairing by position would cross the wires.
    zed, alpha = Input((2,), name="zed"), Input((2,), name="alpha")
    inner = loom.Model({"zed": zed, "alpha": alpha}, Dense(1, name="score")(Concatenate()([zed, alpha])))
    p, q = Input((2,), name="p"), Input((2,), name="q")
    model = loom.Model([p, q], inner({"zed": p, "alpha": q}))
    found = set(edges(model_to_dot(model, expand_nested=True)))
    assert {("p", "zed", ""), ("q", "alpha", "")} <= found
    assert not {("p", "alpha", ""), ("q", "zed", "")} & found


def test_multi_output_operation_labels_which_output_each_edge_carries():
    x = Input((4,), name="x")
    left, right = ops.split(x, 2, axis=-1)
    model = loom.Model(x, [ops.add(left, right), Dense(1, name="d")(right)])
    dot = model_to_dot(model, show_shapes=True)
    assert "split (ops.split)" in text_of(dot, "split")
    assert "Output shape: [(None, 2), (None, 2)]" in text_of(dot, "split")
    assert sorted(edges(dot)) == sorted(
        [("x", "split", ""), ("split", "add", "output 0"), ("split", "add", "output 1"), ("split", "d", "output 1")]
    )


def test_nested_models_are_one_box_each_unless_expanded():
    model = nested_model()
    dot = model_to_dot(model, show_shapes=True)
    assert set(box_ids(dot)) == {"a", "b", "tower", "merge", "head"}
    assert "cluster" not in dot.source
    assert "tower (Functional)" in text_of(dot, "tower") and "head (Sequential)" in text_of(dot, "head")
    assert sorted(edges(dot)) == sorted(
        [
            ("a", "tower", "node 0"),
            ("b", "tower", "node 1"),
            ("tower", "merge", "node 0"),
            ("tower", "merge", "node 1"),
            ("merge", "head", ""),
        ]
    )


def test_expand_nested_draws_clusters_wired_to_the_inner_layers():
    dot = model_to_dot(nested_model(), expand_nested=True)
    ids = box_ids(dot)
    assert set(ids) == {"a", "b", "x_in", "t_hidden", "t_dense", "merge", "h1", "h2"}
    clusters = dict(re.findall(r"subgraph (cluster_\w+) \{\n\t\t[^\n]*\blabel=<(\w+)>", dot.source))
    assert sorted(clusters.values()) == ["head", "tower"]
    tower_body = dot.source.split("subgraph cluster_")[1].split("}")[0]
    assert all(f"\t\t{ids[name]} [" in tower_body for name in ("x_in", "t_hidden", "t_dense"))
    assert sorted(edges(dot)) == sorted(
        [
            ("a", "x_in", "node 0"),  # into the tower's InputLayer, per call of the tower
            ("b", "x_in", "node 1"),
            ("x_in", "t_hidden", ""),
            ("t_hidden", "t_dense", ""),
            ("t_dense", "merge", "node 0"),  # out of the layer computing the tower's output
            ("t_dense", "merge", "node 1"),
            ("merge", "h1", ""),  # a Sequential has no input box: into its first layer
            ("h1", "h2", ""),
        ]
    )


def test_subgraph_returns_a_cluster_without_graph_attributes():
    cluster = model_to_dot(small_model(), subgraph=True)
    assert cluster.name == "cluster_small"
    assert "style=dashed" in cluster.source and "rankdir" not in cluster.source and "dpi" not in cluster.source
    outer = graphviz.Digraph()
    outer.subgraph(cluster)
    assert "subgraph cluster_small {" in outer.source


def test_sequential_draws_its_layers_in_a_chain_without_an_input_box():
    model = loom.Sequential([Input((4,)), Dense(3, name="s1"), Dense(2, name="s2"), Dense(1, name="s3")])
    dot = model_to_dot(model, show_shapes=True)
    assert set(box_ids(dot)) == {"s1", "s2", "s3"}
    assert edges(dot) == [("s1", "s2", ""), ("s2", "s3", "")]
    assert "Input shape: (None, 4)" in text_of(dot, "s1")


def test_rankdir_and_dpi_are_graph_attributes():
    source = model_to_dot(small_model(), rankdir="LR", dpi=96).source
    assert "rankdir=LR" in source and "dpi=96" in source


def test_show_options_add_keras_s_rows():
    model = small_model()
    model.get_layer("out").trainable = False
    plain = model_to_dot(model)
    assert text_of(plain, "hidden") == "hidden (Dense)"
    dot = model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True)
    assert text_of(dot, "x") == "x (InputLayer)Output shape: (None, 4)Output dtype: float32"
    assert text_of(dot, "hidden") == (
        "hidden (Dense)Activation: reluInput shape: (None, 4)Output shape: (None, 3)Output dtype: float32Trainable"
    )
    assert text_of(dot, "out").endswith("Activation: linearInput shape: (None, 3)Output shape: (None, 2)"
                                        "Output dtype: float32Non-trainable")  # fmt: skip
    assert 'bgcolor="firebrick"' in dot.source and 'bgcolor="forestgreen"' in dot.source


def test_show_layer_names_false_titles_boxes_with_the_class():
    dot = model_to_dot(small_model(), show_layer_names=False)
    assert sorted(title for title, _ in boxes(dot).values()) == ["Dense", "Dense", "InputLayer"]


def test_dtypes_of_each_box():
    x = Input((3,), dtype="int32", name="ids")
    y = ops.cast(x, "float16")
    dot = model_to_dot(loom.Model(x, y), show_dtype=True)
    assert "Output dtype: int32" in text_of(dot, "ids")
    assert "Output dtype: float16" in text_of(dot, "cast")


def test_labels_escape_html_special_characters():
    x = Input((2,), name="in<&>")
    model = loom.Model(x, Dense(1, name='d"<b>&')(x), name="m&<>")
    dot = model_to_dot(model, show_shapes=True, expand_nested=True)
    assert "<b>in&lt;&amp;&gt;</b>" in dot.source
    assert "<b>d&quot;&lt;b&gt;&amp;</b>" in dot.source
    assert set(box_ids(dot)) == {"in<&>", 'd"<b>&'}
    cluster = model_to_dot(model, subgraph=True)
    assert "label=<m&amp;&lt;&gt;>" in cluster.source


@needs_dot
def test_escaped_labels_render(tmp_path):
    x = Input((2,), name="in<&>")
    model = loom.Model(x, Dense(1, name='d"<b>&')(x), name="m&<>")
    plot_model(model, tmp_path / "escaped.svg", show_layer_names=True)
    svg = (tmp_path / "escaped.svg").read_text()
    assert "in&lt;&amp;&gt;" in svg and "d&quot;&lt;b&gt;&amp;" in svg


def test_constant_inputs_and_constant_arguments_are_drawn():
    x_pk, c, _, _ = seeds.constant_subset_data(samples=4, m=3, n=3)
    dot = model_to_dot(seeds.constant_subset_model(x_pk, c), show_shapes=True)
    assert text_of(dot, "x_pk") == "x_pk (InputLayer, constant)Output shape: (3, 3)"
    assert ("x_pk", "f", "") in edges(dot) and ("x", "f", "") in edges(dot)

    x = Input((2,), name="x")
    model = loom.Model(x, x * np.array([1.0, 2.0], "float32") + 1.0)
    dot = model_to_dot(model, show_shapes=True, show_dtype=True)
    assert "constantShape: (2,)dtype: float32" in text_of(dot, "constant")
    assert ("constant", "multiply", "") in edges(dot) and ("multiply", "add", "") in edges(dot)
    assert len(edges(dot)) == 3  # the scalar 1.0 is an argument, not a box


def test_matches_keras_box_text_on_the_same_model():
    keras = pytest.importorskip("keras")
    from keras.src.utils import model_visualization as keras_visualization

    def build(library):
        x = library.Input((4,), name="x")
        h = library.layers.Dense(3, activation="relu", name="d")(x)
        y = library.layers.Concatenate(name="cat")([h, library.layers.Dense(2, name="e")(h)])
        return library.Model(x, y, name="m")

    options = {
        "show_layer_names": True,
        "show_layer_activations": True,
        "show_dtype": True,
        "show_shapes": True,
        "show_trainable": True,
    }
    theirs, ours = build(keras), model_to_dot(build(loom), **options)
    for name in ("x", "d", "e", "cat"):
        label = keras_visualization.make_layer_label(theirs.get_layer(name), **options)
        assert text_of(ours, name) == _plain(label[1:-1])


def test_subclassed_model_is_one_box_once_built_and_an_error_before():
    class TwoLayers(loom.Model):
        def __init__(self):
            super().__init__(name="two_layers")
            self.first, self.second = Dense(3), Dense(1)

        def call(self, inputs):
            return self.second(self.first(inputs))

    model = TwoLayers()
    with pytest.raises(ValueError, match="'two_layers' has not been built yet.*call the model on a batch"):
        model_to_dot(model)
    model(np.ones((2, 4), "float32"))
    dot = model_to_dot(model, show_shapes=True)
    assert [title for title, _ in boxes(dot).values()] == ["two_layers"]
    assert "two_layers (TwoLayers)" in text_of(dot, "two_layers")
    assert edges(dot) == []


def test_unbuilt_sequential_is_refused():
    with pytest.raises(ValueError, match="has not been built yet"):
        plot_model(loom.Sequential([Dense(2)]), to_file="never.dot")


def test_invalid_arguments_are_refused(tmp_path):
    model = small_model()
    with pytest.raises(ValueError, match="`rankdir` must be one of .*received rankdir='up'"):
        model_to_dot(model, rankdir="up")
    with pytest.raises(ValueError, match="`dpi` must be a positive number.*dpi=0"):
        model_to_dot(model, dpi=0)
    with pytest.raises(ValueError, match="`splines` must be one of"):
        model_to_dot(model, splines="wiggly")
    with pytest.raises(ValueError, match="`layer_range` is no longer supported"):
        model_to_dot(model, layer_range=["x", "out"])
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments: \['colour'\]"):
        plot_model(model, tmp_path / "m.dot", colour="red")
    with pytest.raises(TypeError, match="expects a loom model.*received int"):
        model_to_dot(3)
    with pytest.raises(ValueError, match="Graphviz has no format 'xyz'.*.png, .svg, .pdf or .dot"):
        plot_model(model, tmp_path / "m.xyz")
    assert not (tmp_path / "m.xyz").exists()


# --- files ------------------------------------------------------------------------
def test_dot_file_is_written_without_the_dot_program(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    model = thrice_shared_model()
    assert plot_model(model, to_file=tmp_path / "model.dot", show_shapes=True) is None
    text = (tmp_path / "model.dot").read_text()
    assert text == model_to_dot(model, show_shapes=True, show_layer_names=False).source
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_missing_dot_program_says_how_to_install_it_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.png"
    target.write_bytes(b"old picture")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ImportError, match="apt-get install graphviz.*brew install graphviz.*conda") as info:
        plot_model(small_model(), to_file=target)
    assert ".dot" in str(info.value)
    assert target.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["model.png"]


def test_missing_dot_program_in_a_notebook_prints_the_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(sys.modules, "IPython.core.magics.namespace", types.ModuleType("namespace"))
    assert plot_model(small_model(), to_file=tmp_path / "model.png") is None
    assert "apt-get install graphviz" in capsys.readouterr().out
    assert not (tmp_path / "model.png").exists()


def test_missing_graphviz_package_says_pip_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match=r"loom.utils.model_to_dot needs the `graphviz` Python package.*pip install"):
        model_to_dot(small_model())
    with pytest.raises(ImportError, match="loom.utils.plot_model needs .*`pip install graphviz`"):
        plot_model(small_model(), to_file=tmp_path / "model.dot")


@needs_dot
def test_png_is_written_at_the_requested_dpi(tmp_path):
    model = small_model()
    plot_model(model, to_file=tmp_path / "low.png", dpi=40)
    plot_model(model, to_file=tmp_path / "high.png", dpi=80)
    low, high = (png_size((tmp_path / "low.png").read_bytes()), png_size((tmp_path / "high.png").read_bytes()))
    # Twice the dots per inch, twice the pixels (rounding aside).
    assert abs(high[0] - 2 * low[0]) <= 2 and abs(high[1] - 2 * low[1]) <= 2


@needs_dot
def test_file_without_extension_is_a_png_and_svg_and_pdf_follow_their_extension(tmp_path):
    model = thrice_shared_model()
    plot_model(model, to_file=str(tmp_path / "diagram"), dpi=30)
    assert (tmp_path / "diagram").read_bytes()[:8] == PNG_MAGIC
    plot_model(model, to_file=tmp_path / "diagram.svg")
    svg = (tmp_path / "diagram.svg").read_text()
    assert "<svg" in svg and len(re.findall(r">\s*node 1\s*<", svg)) == 2  # the shared layer's edges carry their labels
    plot_model(model, to_file=tmp_path / "diagram.pdf")
    assert (tmp_path / "diagram.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_crash_of_the_orthogonal_router_is_drawn_again_with_polylines(tmp_path, monkeypatch):
    # Graphviz 2.x aborts in maze.c on some graphs with splines=ortho; stand in for it.
    real_pipe = graphviz.Digraph.pipe
    tried = []

    def pipe(self, *args, **kwargs):
        tried.append(self.graph_attr["splines"])
        if self.graph_attr["splines"] == "ortho":
            raise graphviz.CalledProcessError(-6, ["dot"], stderr=b"dot: maze.c:313: chkSgraph: Assertion failed.\n")
        return (
            b"drawn with " + self.graph_attr["splines"].encode()
            if shutil.which("dot") is None
            else real_pipe(self, *args, **kwargs)
        )

    monkeypatch.setattr(graphviz.Digraph, "pipe", pipe)
    with pytest.warns(UserWarning, match="maze.c:313.*drawn again with splines='polyline'") as record:
        plot_model(small_model(), to_file=tmp_path / "model.png")
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert tried == ["ortho", "polyline"]
    assert (tmp_path / "model.png").stat().st_size > 0


def test_other_graphviz_failures_raise_with_dot_s_message(tmp_path, monkeypatch):
    def pipe(self, *args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot"], stderr=b"Error: syntax error in line 3\n")

    monkeypatch.setattr(graphviz.Digraph, "pipe", pipe)
    with pytest.raises(RuntimeError, match="could not draw model 'small' .*syntax error in line 3"):
        plot_model(small_model(), to_file=tmp_path / "model.svg", splines="spline")
    assert not (tmp_path / "model.svg").exists()


def test_returns_an_ipython_image_when_ipython_is_installed(tmp_path, monkeypatch):
    shown = []
    display = types.SimpleNamespace(Image=lambda filename: shown.append(("image", filename)) or "image",
                                    SVG=lambda filename: shown.append(("svg", filename)) or "svg")  # fmt: skip
    ipython = types.ModuleType("IPython")
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setattr(graphviz.Digraph, "pipe", lambda self, format=None, **kwargs: b"picture")
    assert plot_model(small_model(), to_file=tmp_path / "m.png") == "image"
    assert plot_model(small_model(), to_file=tmp_path / "m.svg") == "svg"
    assert plot_model(small_model(), to_file=tmp_path / "m.pdf") is None
    assert shown == [("image", os.fspath(tmp_path / "m.png")), ("svg", os.fspath(tmp_path / "m.svg"))]


def test_plot_model_and_model_to_dot_are_loom_utils_names():
    assert loom.utils.plot_model is plot_model and loom.utils.model_to_dot is model_to_dot
    assert model_visualization.plot_model.__defaults__[:4] == ("model.png", False, False, False)


# --- the seed models ----------------------------------------------------------------
def seed_models() -> dict:
    x_pk, c, _, _ = seeds.constant_subset_data(samples=4, m=3, n=3)
    members = [seeds.make_model((4,), 8), seeds.make_model((4,), 6)]
    ensemble, _ = seeds.ensemble_model(members, [[1.0, 0.5, 0.2], [0.3, 1.0, 1.0]])
    return {
        "seed_000": seeds.dot_product_model(n_docs=50, query_dim=20, units=8),
        "seed_001": seeds.constant_subset_model(x_pk, c),
        "seed_002": seeds.mixture_model(),
        "seed_003": seeds.siamese_model(features=16, units=4)[0],
        "seed_003_lstm": seeds.siamese_lstm_model(timesteps=10, features=8, units=4)[0],
        "seed_004": ensemble,
    }


def test_seed_models_show_their_shared_layers():
    models = seed_models()
    dot = model_to_dot(models["seed_000"])
    assert {edge for edge in edges(dot) if "ld" in edge[:2]} == {
        ("d_pos", "ld", "node 0"), ("d_neg", "ld", "node 1"), ("ld", "ls_pos", "node 0"), ("ld", "ls_neg", "node 1")
    }  # fmt: skip
    dot = model_to_dot(models["seed_003"])
    assert sorted(e for e in edges(dot) if "shared_tower" in e[:2]) == [
        ("shared_tower", "concatenate", "node 0"), ("shared_tower", "concatenate", "node 1"),
        ("tweet_a", "shared_tower", "node 0"), ("tweet_b", "shared_tower", "node 1"),
    ]  # fmt: skip
    lstm = [title for title in box_ids(model_to_dot(models["seed_003_lstm"])) if title.startswith("lstm")]
    assert len(lstm) == 1
    assert len(box_ids(model_to_dot(models["seed_002"]))) == 3 + 6 + 1
    assert all(label == "" for *_, label in edges(model_to_dot(models["seed_004"])))  # nothing shared


@needs_dot
# seed 000 with every row shown crashes the orthogonal router of Graphviz 2.43 (drawn again with polylines).
@pytest.mark.filterwarnings("ignore:Graphviz's dot could not draw:UserWarning")
def test_seed_model_pngs(tmp_path):
    # SEED_PLOTS=/tmp/seed_plots keeps the pictures to look at.
    folder = os.environ.get("SEED_PLOTS") or tmp_path
    os.makedirs(folder, exist_ok=True)
    options = {
        "show_shapes": True,
        "show_layer_names": True,
        "show_layer_activations": True,
        "show_trainable": True,
        "dpi": 60,
    }
    for name, model in seed_models().items():
        path = os.path.join(folder, f"{name}.png")
        plot_model(model, to_file=path, **options)
        with open(path, "rb") as image:
            assert image.read(8) == PNG_MAGIC
