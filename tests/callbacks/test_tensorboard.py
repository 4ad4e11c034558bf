"""TensorBoard: the event files it writes, read back byte by byte, against History, numpy and Keras."""

import contextlib
import io
import json
import os
import struct
import sys

import numpy as np
import pytest

import loom
from loom.callbacks import Callback, CallbackList, TensorBoard
from loom.layers import Dense, Input

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


# --- reading event files: TFRecord framing and Event protos, parsed here --------------------
def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def _masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path) -> list[bytes]:
    """The records of a TFRecord file: length (u64), its masked CRC32C, data, the data's masked CRC32C."""
    with open(path, "rb") as file:
        blob = file.read()
    records, offset = [], 0
    while offset < len(blob):
        (length,) = struct.unpack_from("<Q", blob, offset)
        (length_crc,) = struct.unpack_from("<I", blob, offset + 8)
        assert length_crc == _masked_crc32c(blob[offset : offset + 8])
        data = blob[offset + 12 : offset + 12 + length]
        (data_crc,) = struct.unpack_from("<I", blob, offset + 12 + length)
        assert data_crc == _masked_crc32c(data)
        records.append(data)
        offset += 12 + length + 4
    return records


def read_events(folder) -> list:
    """Every Event in the event files directly in ``folder``, files in the order they were opened."""
    from tensorboardX.proto.event_pb2 import Event

    names = sorted(
        (name for name in os.listdir(folder) if name.startswith("events.out.tfevents.")),
        key=lambda name: int(name.rsplit(".", 1)[1]),  # the process-wide file number
    )
    return [Event.FromString(record) for name in names for record in read_records(os.path.join(folder, name))]


def scalars(folder) -> dict:
    """``{tag: [(step, value), ...]}`` of the scalar summaries in ``folder``."""
    result = {}
    for event in read_events(folder):
        for value in event.summary.value:
            if value.WhichOneof("value") == "simple_value":
                result.setdefault(value.tag, []).append((event.step, value.simple_value))
    return result


def summary_values(folder) -> list:
    """``(step, Summary.Value)`` for every summary value in ``folder``."""
    return [(event.step, value) for event in read_events(folder) for value in event.summary.value]


def steps_of(series):
    return [step for step, _ in series]


def values_of(series):
    return np.array([value for _, value in series])


# --- models and helpers ---------------------------------------------------------------------
def data(count=10):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(count, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def small_model(optimizer=None, metrics=("mae",)):
    loom.utils.set_random_seed(0)
    inputs = Input((3,))
    outputs = Dense(1, name="out")(Dense(4, activation="tanh", name="hidden")(inputs))
    model = loom.Model(inputs, outputs)
    model.compile(optimizer or loom.optimizers.SGD(0.05), "mse", metrics=list(metrics))
    return model


class CallEnds(Callback):
    """Records the batch index of every on_train_batch_end: one per compiled call, as it asks for no batch hooks."""

    _chunk_level_batch_hooks = True

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(batch)


# --- epoch scalars --------------------------------------------------------------------------
def test_epoch_scalars_equal_history_in_keras_layout(tmp_path):
    model = small_model()
    x, y = data()
    history = model.fit(
        x, y, batch_size=4, epochs=3, verbose=0, validation_data=(x, y), callbacks=[TensorBoard(tmp_path)]
    ).history
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = scalars(tmp_path / "train"), scalars(tmp_path / "validation")
    assert set(train) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert set(validation) == {
        "epoch_loss",
        "epoch_mae",
        "evaluation_loss_vs_iterations",
        "evaluation_mae_vs_iterations",
    }
    for name in ("loss", "mae"):
        assert steps_of(train[f"epoch_{name}"]) == [0, 1, 2]
        np.testing.assert_allclose(values_of(train[f"epoch_{name}"]), history[name], rtol=1e-6)
        assert steps_of(validation[f"epoch_{name}"]) == [0, 1, 2]
        np.testing.assert_allclose(values_of(validation[f"epoch_{name}"]), history[f"val_{name}"], rtol=1e-6)
        # Each validation run is also logged against the optimizer's step count: 3 batches per epoch.
        series = validation[f"evaluation_{name}_vs_iterations"]
        assert steps_of(series) == [3, 6, 9]
        np.testing.assert_allclose(values_of(series), history[f"val_{name}"], rtol=1e-6)
    np.testing.assert_allclose(values_of(train["epoch_learning_rate"]), [0.05] * 3, rtol=1e-6)


def test_learning_rate_is_logged_from_a_schedule(tmp_path):
    schedule = loom.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)
    model = small_model(loom.optimizers.SGD(schedule))
    x, y = data()
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[TensorBoard(tmp_path)])
    series = scalars(tmp_path / "train")["epoch_learning_rate"]
    # After epoch e, 3 (e + 1) steps were taken: the rate is 0.1 * 0.5 ** (3 (e + 1) / 3).
    assert steps_of(series) == [0, 1, 2]
    np.testing.assert_allclose(values_of(series), [0.1 * 0.5 ** (e + 1) for e in range(3)], rtol=1e-6)


def test_steps_per_second_are_logged_per_epoch(tmp_path):
    model = small_model()
    x, y = data()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path, write_steps_per_second=True)])
    series = scalars(tmp_path / "train")["epoch_steps_per_second"]
    assert steps_of(series) == [0, 1] and np.all(values_of(series) > 0)
    assert "batch_steps_per_second" not in scalars(tmp_path / "train")  # epoch-level only


# --- batch scalars and how many compiled calls run --------------------------------------------
def test_epoch_level_logging_keeps_whole_epoch_calls(tmp_path):
    model = small_model()
    x, y = data()
    ends = CallEnds()
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=1), ends])
    assert ends.ends == [4, 4]  # one compiled call per epoch of 5 batches
    assert not CallbackList([TensorBoard(tmp_path)]).needs_batch_hooks


def test_batch_scalars_every_update_freq_batches_equal_running_means(tmp_path):
    model = small_model(loom.optimizers.SGD(0.0))  # weights fixed, so numpy can recompute every loss
    x, y = data()
    ends = CallEnds()
    callback = TensorBoard(tmp_path, update_freq=3, write_steps_per_second=True)
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False, callbacks=[callback, ends])
    assert ends.ends == [0, 1, 2, 3, 4] * 2  # every batch reaches the hooks, as Keras's steps_per_execution=1
    train = scalars(tmp_path / "train")
    # Batches are counted from 1 across the fit's epochs: batches 3, 6, 9 are epoch 0's third,
    # epoch 1's first and fourth; the logs are the epoch's running means.
    batch_losses = ((model.predict(x, verbose=0) - y) ** 2).reshape(5, 2).mean(axis=1)
    running = np.cumsum(batch_losses) / np.arange(1, 6)
    assert steps_of(train["batch_loss"]) == [3, 6, 9]
    np.testing.assert_allclose(values_of(train["batch_loss"]), [running[2], running[0], running[3]], rtol=1e-5)
    assert steps_of(train["batch_mae"]) == [3, 6, 9]
    assert steps_of(train["batch_steps_per_second"]) == [3, 6, 9]
    assert np.all(values_of(train["batch_steps_per_second"]) > 0)
    assert steps_of(train["epoch_loss"]) == [0, 1]


def test_update_freq_batch_writes_every_batch(tmp_path):
    model = small_model()
    x, y = data()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, update_freq="batch")])
    assert steps_of(scalars(tmp_path / "train")["batch_loss"]) == [1, 2, 3, 4, 5]


def test_update_freq_with_steps_per_execution_writes_where_a_multiple_is_crossed(tmp_path):
    model = small_model()
    model.compile(loom.optimizers.SGD(0.05), "mse", steps_per_execution=2)
    x, y = data(12)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, update_freq=3)])
    # Calls end after batches 2, 4, 6; batches 3 and 6 fall in the last two.
    assert steps_of(scalars(tmp_path / "train")["batch_loss"]) == [4, 6]


def test_iterable_data_gets_batch_scalars(tmp_path):
    model = small_model()
    x, y = data()
    batches = [(x[i : i + 5], y[i : i + 5]) for i in (0, 5)]
    model.fit(batches, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path, update_freq=1)])
    train = scalars(tmp_path / "train")
    assert steps_of(train["batch_loss"]) == [1, 2, 3, 4]
    # The last batch of an epoch logs the epoch's loss.
    np.testing.assert_allclose(values_of(train["batch_loss"])[[1, 3]], values_of(train["epoch_loss"]), rtol=1e-6)


# --- weights ------------------------------------------------------------------------------------
def test_histograms_at_every_histogram_freq_epochs_describe_the_weights(tmp_path):
    model = small_model()
    x, y = data()
    model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=2)])
    histograms = {}
    for step, value in summary_values(tmp_path / "train"):
        if value.WhichOneof("value") == "histo":
            histograms.setdefault(value.tag, {})[step] = value.histo
    paths = ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    assert sorted(histograms) == sorted(f"{path}/histogram" for path in paths)
    weights = {w.path: np.asarray(w.numpy(), np.float64) for layer in model.layers for w in layer.weights}
    for path in paths:
        assert sorted(histograms[f"{path}/histogram"]) == [0, 2, 4]
        last, weight = histograms[f"{path}/histogram"][4], weights[path]
        assert last.num == weight.size and sum(last.bucket) == weight.size
        np.testing.assert_allclose([last.min, last.max], [weight.min(), weight.max()], rtol=1e-12)
        np.testing.assert_allclose([last.sum, last.sum_squares], [weight.sum(), (weight**2).sum()], rtol=1e-12)
    # 30 equal buckets from min to max, as tf.summary.histogram; each limit is a bucket's right
    # edge, so an empty bucket ending at the minimum comes first (empty end buckets are left out).
    counts, limits = np.histogram(weights["hidden/kernel"], bins=30)
    last = histograms["hidden/kernel/histogram"][4]
    size = len(last.bucket)
    assert list(last.bucket) == [0] + [int(count) for count in counts][: size - 1]
    np.testing.assert_allclose(list(last.bucket_limit), limits[:size], rtol=1e-12)


def _decode_png(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))


def test_weight_images_show_weights_clipped_to_unit_intensities(tmp_path):
    pytest.importorskip("PIL")
    loom.utils.set_random_seed(0)
    inputs = Input((4, 4, 1))
    features = loom.layers.Conv2D(3, 2, name="conv")(inputs)
    outputs = Dense(1, name="out")(loom.layers.Flatten()(features))
    model = loom.Model(inputs, outputs)
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 1)).astype("float32")
    model.fit(
        x, x.sum((1, 2)), epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=1, write_images=True)]
    )
    images = {value.tag: value for _, value in summary_values(tmp_path / "train") if value.tag.endswith("/image")}
    # A one-number weight (the output bias) makes no image, as in Keras.
    assert sorted(images) == ["conv/bias/image", "conv/kernel/image", "out/kernel/image"]

    def expected(array):  # tf.summary.image's float conversion
        return np.clip(array * 255.5, 0, 255).astype(np.uint8)

    # The conv kernel (2, 2, 1, 3) is three 2x2 images, one per filter.
    kernel = model.get_layer("conv").kernel.numpy()
    strings = images["conv/kernel/image"].tensor.string_val
    assert images["conv/kernel/image"].metadata.plugin_data.plugin_name == "images"
    assert strings[:2] == [b"2", b"2"] and len(strings) == 5
    for index, png in enumerate(strings[2:]):
        np.testing.assert_array_equal(_decode_png(png), expected(kernel[:, :, 0, index]))
    # The dense kernel (27, 1) squeezes to a vector, shown as a 27x1 column, as Keras shows it.
    dense_kernel = model.get_layer("out").kernel.numpy()
    strings = images["out/kernel/image"].tensor.string_val
    assert strings[:2] == [b"1", b"27"]  # width, height
    np.testing.assert_array_equal(_decode_png(strings[2]), expected(dense_kernel))


# --- the model ------------------------------------------------------------------------------------
def test_write_graph_writes_the_config_and_summary_once(tmp_path):
    model = small_model()
    x, y = data()
    callback = TensorBoard(tmp_path)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    values = {}
    for step, value in summary_values(tmp_path / "train"):
        if value.WhichOneof("value") == "tensor":
            values.setdefault(value.tag, []).append((step, value))
    assert sorted(values) == ["keras", "model_summary"] and all(len(v) == 1 for v in values.values())
    step, graph = values["keras"][0]
    assert step == 0 and graph.metadata.plugin_data.plugin_name == "graph_keras_model"
    assert graph.metadata.plugin_data.content == b"1"
    assert json.loads(graph.tensor.string_val[0]) == json.loads(model.to_json())
    text = values["model_summary"][0][1]
    assert text.metadata.plugin_data.plugin_name == "text"
    table = text.tensor.string_val[0].decode()
    assert "hidden (Dense)" in table and "out (Dense)" in table and "Trainable params: 21" in table


def test_write_graph_false_writes_no_model(tmp_path):
    model = small_model()
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, write_graph=False)])
    assert not [v for _, v in summary_values(tmp_path / "train") if v.WhichOneof("value") == "tensor"]


# --- several runs --------------------------------------------------------------------------------
def test_several_fits_and_an_evaluate_append_new_files(tmp_path):
    model = small_model()
    x, y = data()
    callback = TensorBoard(tmp_path, update_freq=1)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y), callbacks=[callback])
    assert callback._writers == {}  # closed at the end of fit
    model.fit(x, y, batch_size=4, epochs=4, initial_epoch=2, verbose=0, validation_data=(x, y), callbacks=[callback])
    evaluated = model.evaluate(x, y, verbose=0, callbacks=[callback], return_dict=True)
    assert callback._writers == {}
    assert len([n for n in os.listdir(tmp_path / "train") if n.startswith("events")]) == 2
    assert len([n for n in os.listdir(tmp_path / "validation") if n.startswith("events")]) == 3
    train, validation = scalars(tmp_path / "train"), scalars(tmp_path / "validation")
    history = model.history.history
    assert steps_of(train["epoch_loss"]) == [0, 1, 2, 3]
    np.testing.assert_allclose(values_of(train["epoch_loss"])[2:], history["loss"], rtol=1e-6)
    # Batch steps count each fit's batches from 1, as Keras's TensorBoard does.
    assert steps_of(train["batch_loss"]) == [1, 2, 3, 4, 5, 6] * 2
    series = validation["evaluation_loss_vs_iterations"]
    assert steps_of(series) == [3, 6, 9, 12, 12]
    np.testing.assert_allclose(series[-1][1], evaluated["loss"], rtol=1e-6)


def test_evaluate_alone_logs_against_iterations(tmp_path):
    model = small_model()
    x, y = data()
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    evaluated = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(tmp_path)], return_dict=True)
    validation = scalars(tmp_path / "validation")
    assert validation["evaluation_loss_vs_iterations"][0][0] == 2
    np.testing.assert_allclose(validation["evaluation_mae_vs_iterations"][0][1], evaluated["mae"], rtol=1e-6)


# --- profiling -----------------------------------------------------------------------------------
def test_profile_batch_traces_into_the_profile_plugin_folder_then_fuses_steps(tmp_path):
    model = small_model()
    x, y = data()
    ends = CallEnds()
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path, profile_batch=2), ends])
    runs = os.listdir(tmp_path / "train" / "plugins" / "profile")
    assert len(runs) == 1
    assert any(name.endswith(".xplane.pb") for name in os.listdir(tmp_path / "train" / "plugins" / "profile" / runs[0]))
    # Batches 1 and 2 one per call; once batch 2 is profiled, whole calls again.
    assert ends.ends == [0, 1, 4, 4]


@pytest.mark.parametrize("profile_batch, expected", [(3, (3, 3)), ((2, 4), (2, 4)), ([1, 1], (1, 1)), ("2,5", (2, 5))])
def test_profile_batch_forms(profile_batch, expected, tmp_path):
    callback = TensorBoard(tmp_path, profile_batch=profile_batch)
    assert (callback._start_batch, callback._stop_batch) == expected
    # The batch hooks are needed until the range is profiled.
    assert not callback._chunk_level_batch_hooks


# --- embeddings ----------------------------------------------------------------------------------
def embedding_model():
    loom.utils.set_random_seed(0)
    model = loom.Sequential(
        [Input((4,)), loom.layers.Embedding(10, 3, name="words"), loom.layers.Flatten(), Dense(1, name="out")]
    )
    model.compile("sgd", "mse")
    return model


def test_embeddings_are_written_for_the_projector(tmp_path):
    model = embedding_model()
    x = np.random.default_rng(0).integers(0, 10, size=(8, 4))
    callback = TensorBoard(tmp_path, embeddings_freq=2, embeddings_metadata={"words": "meta.tsv"})
    model.fit(x, np.ones((8, 1)), epochs=3, verbose=0, callbacks=[callback])
    folder = tmp_path / "train" / "embeddings"
    assert sorted(os.listdir(folder)) == ["words-epoch0.tsv", "words-epoch2.tsv"]
    np.testing.assert_allclose(
        np.loadtxt(folder / "words-epoch2.tsv"), model.get_layer("words").embeddings.numpy(), rtol=1e-6
    )
    config = (tmp_path / "train" / "projector_config.pbtxt").read_text()
    assert config == (
        "embeddings {\n"
        '  tensor_name: "words/embeddings"\n'
        "  tensor_shape: 10\n"
        "  tensor_shape: 3\n"
        '  tensor_path: "embeddings/words-epoch2.tsv"\n'
        '  metadata_path: "../meta.tsv"\n'
        "}\n"
    )


def test_embeddings_metadata_naming_no_embedding_layer_is_an_error(tmp_path):
    model = embedding_model()
    callback = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"word": "meta.tsv"})
    with pytest.raises(ValueError, match=r"names layers \['word'\] that are not Embedding layers .* are \['words'\]"):
        model.fit(np.zeros((2, 4)), np.zeros((2, 1)), epochs=1, verbose=0, callbacks=[callback])


# --- arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"update_freq": 0}, ValueError, "`update_freq` must be 'epoch', 'batch' or a positive int"),
        ({"update_freq": "step"}, ValueError, "received update_freq='step'"),
        ({"histogram_freq": -1}, ValueError, "`histogram_freq` must be an int >= 0"),
        ({"embeddings_freq": 1.5}, ValueError, "`embeddings_freq` must be an int >= 0"),
        ({"profile_batch": (4, 2)}, ValueError, r"0 <= start <= stop.*received profile_batch=\(4, 2\)"),
        ({"profile_batch": -1}, ValueError, "received profile_batch=-1"),
        ({"profile_batch": "a,b"}, ValueError, "received profile_batch='a,b'"),
        ({"profile_batch": (1, 2, 3)}, ValueError, "received profile_batch"),
        ({"embeddings_metadata": 5}, TypeError, "`embeddings_metadata` must be a file name"),
        ({"log_dir": 5}, TypeError, "`log_dir` must be a path"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        TensorBoard(**kwargs)


def test_missing_tensorboardx_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match="pip install tensorboardX"):
        TensorBoard()


# --- Keras parity -----------------------------------------------------------------------------
class _RecordingSummary:
    """Stands in for ``tensorflow.summary`` (TensorFlow is not installed) inside Keras's own
    TensorBoard: it keeps what would be written, honouring writers and ``record_if`` as TF does."""

    def __init__(self):
        self.records = []  # (run folder name, tag, step, value)
        self._writers, self._conditions = [], []

    def create_file_writer(self, logdir):
        return _RecordingWriter(self, logdir)

    @contextlib.contextmanager
    def record_if(self, condition):
        self._conditions.append(condition)
        try:
            yield
        finally:
            self._conditions.pop()

    def scalar(self, name, data, step=None):
        self._write(name, float(np.asarray(data)), step)

    def histogram(self, name, data, step=None):
        self._write(name, None, step)

    def _write(self, name, value, step):
        if not self._writers:
            return
        condition = self._conditions[-1] if self._conditions else True
        if not (condition() if callable(condition) else condition):
            return
        logdir, default_step = self._writers[-1]
        step = default_step if step is None else step
        self.records.append((os.path.basename(logdir), name, int(np.asarray(step)), value))


class _RecordingWriter:
    def __init__(self, summary, logdir):
        self.summary, self.logdir = summary, logdir

    @contextlib.contextmanager
    def as_default(self, step=None):
        self.summary._writers.append((self.logdir, step))
        try:
            yield
        finally:
            self.summary._writers.pop()

    def flush(self):
        pass

    def close(self):
        pass


@pytest.mark.parametrize("update_freq", ["epoch", 1])
def test_tags_steps_and_values_match_keras(update_freq, keras, tmp_path):
    """Keras's TensorBoard, on the same weights and batches, would write the same scalars and histograms."""
    model = small_model()
    x, y = data()
    k_inputs = keras.Input((3,))
    k_hidden = keras.layers.Dense(4, activation="tanh", name="hidden")(k_inputs)
    keras_model = keras.Model(k_inputs, keras.layers.Dense(1, name="out")(k_hidden))
    keras_model.set_weights(model.get_weights())
    keras_model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    keras_callback = keras.callbacks.TensorBoard(
        str(tmp_path / "keras"), histogram_freq=1, write_graph=False, update_freq=update_freq
    )
    recorder = keras_callback._summary_module = _RecordingSummary()
    options = {"batch_size": 4, "epochs": 2, "verbose": 0, "shuffle": False, "validation_data": (x, y)}
    keras_model.fit(x, y, callbacks=[keras_callback], **options)
    model.fit(x, y, callbacks=[TensorBoard(tmp_path / "loom", histogram_freq=1, update_freq=update_freq)], **options)

    ours = []
    for run in ("train", "validation"):
        for step, value in summary_values(tmp_path / "loom" / run):
            kind = value.WhichOneof("value")
            if kind in ("simple_value", "histo"):
                ours.append((run, value.tag, step, value.simple_value if kind == "simple_value" else None))

    def key(record):  # run, tag, step
        return record[:3]

    assert sorted(map(key, ours)) == sorted(map(key, recorder.records))
    theirs = {key(record): record[3] for record in recorder.records}
    for record in ours:
        if record[3] is not None:
            np.testing.assert_allclose(record[3], theirs[key(record)], rtol=1e-5, err_msg=str(record))


def test_wrapped_and_multiple_optimizers_log_their_rates_as_keras_names_them(tmp_path):
    x, y = data()
    model = small_model(loom.optimizers.LossScaleOptimizer(loom.optimizers.SGD(0.02)))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "scaled")])
    np.testing.assert_allclose(scalars(tmp_path / "scaled" / "train")["epoch_learning_rate"][0][1], 0.02, rtol=1e-6)
    optimizers = loom.optimizers.OptimizerMap(
        loom.optimizers.SGD(0.5, name="slow"), {"hidden.*": loom.optimizers.Adam(0.1, name="fast")}
    )
    model = small_model(loom.optimizers.MultiOptimizer(optimizers))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "multi")])
    train = scalars(tmp_path / "multi" / "train")
    assert "epoch_learning_rate" not in train
    np.testing.assert_allclose(
        [train["epoch_learning_rate_fast"][0][1], train["epoch_learning_rate_slow"][0][1]], [0.1, 0.5]
    )
