"""TensorBoard: training logs, weight histograms and profiles written as TensorBoard event files."""

import itertools
import json
import os
import struct
import time
import warnings
import zlib

import jax
import numpy as np

from loom.callbacks.callback import Callback
from loom.callbacks.monitor_callback import check_non_negative_int
from loom.config import image_data_format
from loom.layers import Embedding
from loom.optimizers.optimizer import Optimizer

_MISSING_TENSORBOARDX = (
    "loom.callbacks.TensorBoard writes event files with the tensorboardX package, which is not "
    "installed. Install it with `pip install tensorboardX` (TensorFlow is not needed)."
)
_PROFILE_BATCH_ERROR = (
    "TensorBoard: `profile_batch` must be an int >= 0 (0 turns profiling off), a pair (start, stop) "
    "of batch numbers with 0 <= start <= stop, or the string 'start,stop'; received profile_batch={!r}."
)
# Keras's TensorBoard shows at most this many images per weight (tf.summary.image's max_outputs).
_MAX_IMAGES = 3
# tf.summary.histogram's default, which Keras uses: equal-width buckets from the minimum to the maximum.
_HISTOGRAM_BUCKETS = 30
# tensorboardX names event files by the second and host only, so a file opened in the same
# second (an evaluate right after fit) would overwrite the last; a process-wide count keeps
# names distinct, as TensorFlow's ".<pid>.<uid>" suffix does.
_FILE_NUMBERS = itertools.count()


def _import_tensorboardx():
    """The tensorboardX package: an optional dependency, needed only by this callback."""
    try:
        import tensorboardX
    except ImportError as err:
        raise ImportError(_MISSING_TENSORBOARDX) from err
    return tensorboardX


def _profile_range(profile_batch) -> tuple[int, int]:
    """``(start, stop)`` batches (1-based, inclusive) from an int, a pair or a "start,stop" string."""
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(_PROFILE_BATCH_ERROR.format(profile_batch)) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(_PROFILE_BATCH_ERROR.format(profile_batch))
    if start < 0 or stop < start:
        raise ValueError(_PROFILE_BATCH_ERROR.format(profile_batch))
    return start, stop


def _string_summary(tag: str, text: str, plugin_name: str, content: bytes = b""):
    """A Summary holding one string tensor for ``plugin_name``, as ``tf.summary.write`` makes it."""
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto

    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=plugin_name, content=content))
    tensor = TensorProto(dtype="DT_STRING", string_val=[text.encode("utf-8")])
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def _png(image: np.ndarray) -> bytes:
    """``image`` (height, width, 1, 3 or 4 channels; uint8) encoded as a PNG file."""
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]  # grey, RGB, RGBA

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # Each row starts with its filter type: 0, the rows as they are.
    rows = b"".join(b"\x00" + image[row].tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def weight_images(weight: np.ndarray) -> np.ndarray | None:
    """A weight as a batch of images (N, height, width, channels) the way Keras shows it, or None.

    A bias is one row; a dense kernel one image, its longer side across; a 3-D kernel one
    image per output channel (channels_last); a 4-D kernel is shown only if its last axis
    can be read as 1, 3 or 4 colour channels, as in Keras.
    """
    image = np.squeeze(weight)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        if image_data_format() == "channels_last":
            image = np.transpose(image, (2, 0, 1))
        image = image[..., np.newaxis]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    return image


def _image_summary(tag: str, images: np.ndarray):
    """A Summary with up to three images in TensorFlow 2's format (width, height, PNGs).

    Values are read as intensities in [0, 1] and clipped, as ``tf.summary.image`` converts floats.
    """
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto

    images = images[:_MAX_IMAGES]
    pixels = np.clip(images.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    height, width = images.shape[1:3]
    strings = [str(width).encode(), str(height).encode()] + [_png(image) for image in pixels]
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="images"))
    tensor = TensorProto(dtype="DT_STRING", string_val=strings)
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def _scalar_items(logs):
    """``(name, float)`` for each log that is a single number; arrays (a per-class metric) are skipped."""
    for name, value in (logs or {}).items():
        if np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.number):
            yield name, float(value)


class TensorBoard(Callback):
    """Writes logs for TensorBoard: metrics, learning rate, weight histograms, the model, profiles.

    Event files go to ``log_dir/train`` and ``log_dir/validation`` with Keras's tags:
    ``epoch_<metric>`` per epoch (validation metrics without their ``val_`` prefix, in
    ``validation``), ``epoch_learning_rate``, ``batch_<metric>`` every ``update_freq``
    batches, ``evaluation_<metric>_vs_iterations`` after each evaluation (step: the
    optimizer's ``iterations``), ``epoch_steps_per_second`` / ``batch_steps_per_second``,
    and ``<weight path>/histogram`` / ``<weight path>/image``. Batch steps count the
    batches of the current ``fit`` from 1, as in Keras; epoch steps are epoch indices.
    They are written with tensorboardX, so TensorFlow is not needed (tensorboardX is
    an optional dependency: ``pip install tensorboardX``). View them with
    ``tensorboard --logdir=<log_dir>``.

    With ``update_freq="epoch"`` (the default) the callback does not slow training:
    loom keeps running whole epochs per compiled call. Batch-level scalars and
    profiling need the batch hooks at given batches, so then every batch reaches them
    (one step per compiled call, Keras's default ``steps_per_execution=1``) — for
    profiling only until the profiled batches are done.

    Departures from Keras, which needs TensorFlow: ``write_graph`` cannot write a
    TensorFlow graph, as loom's steps are JAX functions; it writes the model's JSON
    config (tag ``keras``, for TensorBoard's conceptual graph, as Keras does) and the
    ``model.summary()`` table as text (tag ``model_summary``). Embeddings are written
    as TSV files with a ``projector_config.pbtxt`` in ``log_dir/train`` (where
    TensorBoard's projector looks for a run's config), not as a TensorFlow checkpoint.
    A profile is a JAX trace in ``log_dir/train/plugins/profile`` (for TensorBoard's
    profile plugin), also on Python 3.11 (Keras turns JAX profiling off below 3.12
    after crashes in its tests, which ran it beside TensorFlow). Epoch scalars are
    always written (Keras 3 drops them with an int ``update_freq`` when an epoch's
    batch count is no multiple of it), and with ``steps_per_execution=k`` batch
    steps count batches, not calls.

    Args:
        log_dir: the folder to write to; give each run its own.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the model's config and summary (see above).
        write_images: with histograms, also write each weight as an image.
        write_steps_per_second: also log training steps per second.
        update_freq: "epoch" writes metrics after each epoch; an int ``N`` also
            writes the running metrics every N batches; "batch" means 1.
        profile_batch: profile the batch with this 1-based number, or the batches
            ``(start, stop)`` (inclusive); 0 turns profiling off.
        embeddings_freq: every how many epochs to write Embedding layers' vectors for
            TensorBoard's projector (0: never).
        embeddings_metadata: a metadata file name for every Embedding layer, or a dict
            ``{layer name: file name}``; relative names are relative to ``log_dir``.

    Example:

    >>> callback = TensorBoard(log_dir="logs/run1", histogram_freq=1)
    >>> # model.fit(x, y, epochs=5, callbacks=[callback])
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        # Imported now, so a missing package is reported before training, not after an epoch.
        self._tensorboardx = _import_tensorboardx()
        try:
            self.log_dir = os.fspath(log_dir)
        except TypeError:
            raise TypeError(
                f"TensorBoard: `log_dir` must be a path (str or os.PathLike); received log_dir={log_dir!r}."
            ) from None
        check_non_negative_int("TensorBoard", "histogram_freq", histogram_freq)
        check_non_negative_int("TensorBoard", "embeddings_freq", embeddings_freq)
        update_freq = 1 if update_freq == "batch" else update_freq
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive int (write every that "
                f"many batches); received update_freq={update_freq!r}."
            )
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise TypeError(
                "TensorBoard: `embeddings_metadata` must be a file name for every Embedding layer or a dict "
                f"{{layer name: file name}}; received {embeddings_metadata!r}."
            )
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._should_trace = (self._start_batch, self._stop_batch) != (0, 0)
        self._is_tracing = False
        self._batch_trace = None
        self._writers = {}
        self._in_fit = False
        self._graph_written_for = None
        self._global_train_batch = 0  # batches of this fit done so far
        self._epoch_first_batch = 0  # batches of this fit done before the current epoch
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0

    @property
    def _train_dir(self) -> str:
        return os.path.join(self.log_dir, "train")

    @property
    def _val_dir(self) -> str:
        return os.path.join(self.log_dir, "validation")

    @property
    def _chunk_level_batch_hooks(self) -> bool:
        # Epoch-level logging is content with one hook call per compiled chunk, so the
        # trainer keeps fusing steps; batch scalars and a pending profile need every batch.
        return self.update_freq == "epoch" and not self._profile_pending

    @property
    def _profile_pending(self) -> bool:
        return self._should_trace and self._global_train_batch < self._stop_batch

    def set_model(self, model) -> None:
        super().set_model(model)
        self._close_writers()  # a new fit or evaluate starts new event files, as in Keras
        if self.embeddings_freq and isinstance(self.embeddings_metadata, dict):
            names = {layer.name for layer in self._embedding_layers()}
            unknown = sorted(set(self.embeddings_metadata) - names)
            if unknown:
                raise ValueError(
                    f"TensorBoard: `embeddings_metadata` names layers {unknown} that are not Embedding layers "
                    f"of model '{model.name}'; its Embedding layers are {sorted(names)}."
                )

    # --- writers ----------------------------------------------------------------------
    def _writer(self, kind: str):
        """The event-file writer for "train" or "validation", opened on first use."""
        if kind not in self._writers:
            folder = self._train_dir if kind == "train" else self._val_dir
            suffix = f".{os.getpid()}.{next(_FILE_NUMBERS)}"
            self._writers[kind] = self._tensorboardx.FileWriter(folder, filename_suffix=suffix)
        return self._writers[kind]

    def _scalars(self, kind: str, items, step: int, prefix: str = "", suffix: str = "") -> None:
        summary = self._tensorboardx.summary
        writer = self._writer(kind)
        for name, value in items:
            writer.add_summary(summary.scalar(f"{prefix}{name}{suffix}", value), int(step))

    def _flush_writers(self) -> None:
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # --- fit --------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0
        self._epoch_first_batch = 0
        if self.write_graph:
            self._write_model_graph()

    def on_train_end(self, logs=None):
        if self._is_tracing:
            self._stop_trace()
        self._close_writers()
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_first_batch = self._global_train_batch
        if self.write_steps_per_second:
            self._epoch_start_iterations = self._iterations()
            self._epoch_start_time = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        self._flush_writers()  # an interrupted run keeps every finished epoch

    def on_train_batch_begin(self, batch, logs=None):
        # ``batch`` is the first step of the call (steps_per_execution or chunks run several).
        first = self._epoch_first_batch + batch + 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()
        if self._profile_pending and not self._is_tracing and first >= self._start_batch:
            self._start_trace()
        if self._is_tracing:
            self._batch_trace = jax.profiler.StepTraceAnnotation(f"Profiled batch {batch}", step_num=first)
            self._batch_trace.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        previous = self._global_train_batch
        self._global_train_batch = self._epoch_first_batch + batch + 1
        if self._batch_trace is not None:
            self._batch_trace.__exit__(None, None, None)
            self._batch_trace = None
        # Write when this call crossed a multiple of update_freq: with one batch per
        # call, exactly at batches N, 2N, ... as Keras does.
        if self.update_freq != "epoch" and self._global_train_batch // self.update_freq > previous // self.update_freq:
            items = []
            if self.write_steps_per_second:
                seconds = max(time.perf_counter() - self._batch_start_time, 1e-12)
                items.append(("steps_per_second", (self._global_train_batch - previous) / seconds))
            items.extend(_scalar_items(logs))
            self._scalars("train", items, self._global_train_batch, prefix="batch_")
        if self._is_tracing and self._global_train_batch >= self._stop_batch:
            self._stop_trace()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            step = self._iterations()
            self._scalars("validation", _scalar_items(logs), step, prefix="evaluation_", suffix="_vs_iterations")
        if self._in_fit:
            self._flush_writers()
        else:  # a standalone evaluate has no on_train_end to close its file
            self._close_writers()

    # --- what is written --------------------------------------------------------------
    def _iterations(self) -> int:
        return int(np.asarray(self.model.optimizer.iterations))

    def _learning_rates(self) -> dict:
        """The current learning rate(s), scheduled ones evaluated at ``iterations``, as Keras names them."""
        optimizer = getattr(self.model, "optimizer", None)
        # A LossScaleOptimizer's rate is its inner optimizer's; a MultiOptimizer has one per inner optimizer.
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            return {
                f"learning_rate_{inner.name}": float(np.asarray(inner.learning_rate)) for inner in optimizer.optimizers
            }
        if isinstance(optimizer, Optimizer):
            return {"learning_rate": float(np.asarray(optimizer.learning_rate))}
        return {}

    def _log_epoch_metrics(self, epoch: int, logs) -> None:
        if not logs:
            return
        train_logs = {name: value for name, value in logs.items() if not name.startswith("val_")}
        val_logs = {name[len("val_") :]: value for name, value in logs.items() if name.startswith("val_")}
        train_logs.update(self._learning_rates())
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / seconds
        if train_logs:
            self._scalars("train", _scalar_items(train_logs), epoch, prefix="epoch_")
        if val_logs:
            self._scalars("validation", _scalar_items(val_logs), epoch, prefix="epoch_")

    def _log_weights(self, epoch: int) -> None:
        """A histogram (and with ``write_images`` an image) of every layer weight, tagged by its path."""
        weights = [weight for layer in self.model.layers for weight in layer.weights]
        values = jax.device_get([weight.value for weight in weights])  # one transfer
        summary, writer = self._tensorboardx.summary, self._writer("train")
        for weight, value in zip(weights, values):
            name = weight.path.replace(":", "_")
            value = np.asarray(value, dtype=np.float64)
            writer.add_summary(summary.histogram(f"{name}/histogram", value, bins=_HISTOGRAM_BUCKETS), epoch)
            images = weight_images(value) if self.write_images else None
            if images is not None:
                writer.add_summary(_image_summary(f"{name}/image", images), epoch)

    def _write_model_graph(self) -> None:
        """The model's summary table as text and (functional models) its JSON config, once per model."""
        if self._graph_written_for is self.model:
            return
        self._graph_written_for = self.model
        writer = self._writer("train")
        lines = []
        self.model.summary(print_fn=lines.append)
        # Indented four spaces: a code block in the text plugin's Markdown, so the table stays aligned.
        table = "\n".join("    " + line for line in "\n".join(lines).splitlines())
        writer.add_summary(_string_summary("model_summary", table, "text"), 0)
        if type(self.model).__name__ not in ("Functional", "Sequential"):
            return  # as Keras: only graph models have a config TensorBoard can draw
        try:
            config = self.model.to_json()
        except (TypeError, ValueError) as err:  # a model that cannot be serialized still trains
            warnings.warn(f"TensorBoard: the model's config could not be written as JSON ({err}).", stacklevel=3)
            return
        # Plugin name and version are the ones TensorBoard's conceptual-graph view reads.
        writer.add_summary(_string_summary("keras", config, "graph_keras_model", b"1"), 0)

    # --- embeddings -------------------------------------------------------------------
    def _embedding_layers(self) -> list:
        return [layer for layer in self.model.layers if isinstance(layer, Embedding)]

    def _metadata_path(self, layer) -> str | None:
        """The layer's metadata file, relative to the config in ``log_dir/train`` (given relative to log_dir)."""
        path = self.embeddings_metadata
        if isinstance(path, dict):
            path = path.get(layer.name)
        if path is None or os.path.isabs(path):
            return path
        return os.path.relpath(os.path.join(self.log_dir, path), self._train_dir)

    def _log_embeddings(self, epoch: int) -> None:
        """Each Embedding's vectors as a TSV file and a projector config pointing at this epoch's files."""
        folder = os.path.join(self._train_dir, "embeddings")
        os.makedirs(folder, exist_ok=True)
        entries = []
        for layer in self._embedding_layers():
            vectors = np.asarray(jax.device_get(layer.embeddings.value), dtype=np.float64)
            file_name = f"{layer.name}-epoch{epoch}.tsv"
            np.savetxt(os.path.join(folder, file_name), vectors, delimiter="\t", fmt="%.8g")
            fields = [
                f"  tensor_name: {json.dumps(layer.embeddings.path)}",
                *(f"  tensor_shape: {size}" for size in vectors.shape),
                f"  tensor_path: {json.dumps('embeddings/' + file_name)}",
            ]
            metadata = self._metadata_path(layer)
            if metadata is not None:
                fields.append(f"  metadata_path: {json.dumps(metadata)}")
            entries.append("embeddings {\n" + "\n".join(fields) + "\n}\n")
        with open(os.path.join(self._train_dir, "projector_config.pbtxt"), "w") as file:
            file.write("".join(entries))

    # --- profiling --------------------------------------------------------------------
    def _start_trace(self) -> None:
        try:
            jax.profiler.start_trace(self._train_dir)
        except RuntimeError as err:  # another trace is running: training goes on unprofiled
            warnings.warn(
                f"TensorBoard could not start profiling batches {self._start_batch}-{self._stop_batch} ({err}); "
                "stop the other trace (jax.profiler.stop_trace()) or set profile_batch=0.",
                stacklevel=3,
            )
            self._should_trace = False
            return
        self._is_tracing = True

    def _stop_trace(self) -> None:
        if self._batch_trace is not None:
            self._batch_trace.__exit__(None, None, None)
            self._batch_trace = None
        jax.profiler.stop_trace()
        self._is_tracing = False
