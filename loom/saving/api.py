"""Saving and loading models and weights: Keras 3's functions, on loom's safe file format and Keras's own.

- ``save_model(model, path)`` / ``model.save(path)``: one zip file, written
  atomically. ``.keras`` is Keras 3's format (``config.json`` in Keras's
  spelling, ``metadata.json``, ``model.weights.h5``; see ``keras_archive``),
  which Keras's ``load_model`` reads; ``.loom`` is loom's own, with
  ``model.safetensors`` (weights, arrays the config refers to, optionally the
  optimizer's state) and each tensor's SHA-256.
- ``load_model`` picks the reader from the file's bytes, never its name: loom's
  zip (older loom ``.keras`` files too), Keras 3's zip, or a tf.keras 2 HDF5
  model (its config translated by ``keras_legacy_config``).
- ``load_model(path, custom_objects=None, compile=True, safe_mode=True)``:
  rebuilds it through the registry only; with ``compile=True`` the optimizer
  comes back with its state and the training seed, so ``fit`` continues as if
  never interrupted.
- ``save_weights`` / ``load_weights``: the variables alone, in safetensors, or
  Keras's HDF5 layout for ``.weights.h5`` names (tf.keras 2 ``.h5`` files load too).
- ``get_model_state`` / ``set_model_state``: the same named arrays in memory,
  for checkpoints that add their own arrays and JSON (``write_archive``).
- ``model_from_json`` (and ``model.to_json()``): architecture only, in Keras 3's
  schema; tf.keras 2's JSON loads too.

Files loom writes record SHA-256 digests, checked on loading: each tensor's in
loom's formats (see ``integrity``), the weights member's in a ``.keras``; loaded weights holding NaN or Inf give a warning naming them,
or with ``allow_nonfinite=False`` an error.
"""

import datetime
import io
import json
import os
import zipfile

from loom.saving import archive as archive_module
from loom.saving import (
    hdf5_safety,
    integrity,
    keras_archive,
    keras_config,
    keras_legacy_config,
    keras_weights_h5,
    legacy_h5,
    model_state,
    serialization,
    weights,
)
from loom.saving import scope as scope_module
from loom.saving.errors import (
    ConfigError,
    SerializationError,
    WeightsFileError,
    WeightsMismatchError,
)
from loom.saving.model_state import get_model_state as get_model_state
from loom.saving.model_state import set_model_state as set_model_state

FORMAT = "loom.model"
_MODEL_EXTENSIONS = (".keras", ".loom")
_BUDGET_SLACK = 2**20


def _loom_version() -> str:
    import loom

    return getattr(loom, "__version__", "unknown")


# --- weights files ------------------------------------------------------------------------------
def save_weights(model, filepath, overwrite: bool = True, include_optimizer: bool = False) -> None:
    """Write the model's variables to a file, atomically.

    Args:
        model: a built model (or layer).
        filepath: a name ending in ``.weights.h5`` writes Keras 3's HDF5 layout,
            which Keras's ``load_weights`` reads; any other name writes
            safetensors (``.weights.safetensors`` reads best), with each
            tensor's SHA-256.
        overwrite: False refuses to replace an existing file.
        include_optimizer: also write the optimizer's state (``"__optimizer__/..."``;
            ``optimizer/vars`` in the HDF5 layout).
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
    if filepath.endswith(".weights.h5"):
        keras_weights_h5.save_keras_weights_h5(model, filepath, include_optimizer=include_optimizer)
        return
    state = model_state.get_model_state(model, include_optimizer)
    metadata = {
        "format": "loom.weights",
        "loom_version": _loom_version(),
        **model_state.optimizer_metadata(model, include_optimizer),
        **model_state.tree_metadata(model),
        integrity.SAFETENSORS_DIGESTS: json.dumps(integrity.tensor_digests(state), separators=(",", ":")),
    }
    weights.save_safetensors(filepath, state, metadata)


def load_weights(
    model,
    filepath,
    skip_mismatch: bool = False,
    convert_dtypes: bool = False,
    allow_nonfinite: bool = True,
    by_name: bool = False,
) -> None:
    """Load variables saved by ``save_weights`` (or the weights inside a model file), loom's or Keras's.

    The file's content, not its name, says what it is: safetensors (loom's
    ``save_weights``), a ``.keras`` / ``.loom`` model file, Keras 3's
    ``.weights.h5``, or a tf.keras 2 ``.h5`` (matched layer by layer, in order).
    Weights are matched as Keras matches them, by the model's layer structure
    (each weight's tree path, recorded in the file: ``layers/dense_1/kernel``),
    not by auto-generated layer names, so the same architecture built again in
    one session loads the file. Files that record no tree paths (written by an
    older loom) are matched by layer and weight name (``"dense/kernel"``). The
    optimizer's state, when the file holds it and the model has an optimizer,
    is restored too. Each tensor is checked against the SHA-256 recorded when
    the file was written (files written before loom recorded digests have none).

    Args:
        skip_mismatch: load only what fits instead of raising, warning once with
            every weight left out (missing, unexpected, other shape or dtype).
        convert_dtypes: accept weights of another dtype (float16 into float32),
            converting them; refused by default.
        allow_nonfinite: weights holding NaN or Inf (saved after training
            diverged) load with a warning naming them; False refuses them with
            a ``NonFiniteWeightsError`` instead (a loom extension to Keras).
        by_name: for a tf.keras 2 ``.h5`` file, match layers by name instead of
            by order (as Keras; other files are always matched by structure).

    Raises:
        WeightsMismatchError: listing missing, unexpected and mismatched weights.
        IntegrityError: a tensor differs from its recorded SHA-256.
        NonFiniteWeightsError: NaN or Inf in the weights with ``allow_nonfinite=False``.
        WeightsFileError, ArchiveError: the file is damaged or hostile.
    """
    filepath = os.fspath(filepath)
    with open(filepath, "rb") as handle:  # opened once: a concurrent os.replace cannot mix two files
        kind = _model_file_kind(handle)
        if kind == "keras":
            kind, data = "hdf5", keras_archive.read_open_keras_archive(handle, filepath).weights
        elif kind == "hdf5":
            data = handle.read()
        elif archive_module.starts_like_zip(handle):
            loaded = archive_module.read_open_archive(handle, filepath)
            if loaded.weights is None:
                raise WeightsFileError(f"Model file {filepath!r} holds no {archive_module.WEIGHTS}.")
            source = loaded.weights
        else:
            source = weights.SafetensorsFile(handle.read(), source=f"Weights file {filepath!r}")
            table = integrity.saved_digest_table(source, f"Weights file {filepath!r}")
            if table is not None:
                integrity.verify_digests(source, table, f"Weights file {filepath!r}")
    if kind == "hdf5":
        _load_h5_weights(model, io.BytesIO(data), skip_mismatch, convert_dtypes, allow_nonfinite, by_name)
        return
    if by_name:
        raise ValueError(
            f"load_weights({filepath!r}, by_name=True): matching by layer name is for tf.keras 2 .h5 files; "
            "this file is matched by the model's structure. Drop by_name (as Keras 3 requires for this file)."
        )
    with_optimizer = getattr(model, "optimizer", None) is not None
    section = model_state.ModelSection(source, with_optimizer)
    integrity.check_finite(section, section.specs, f"Weights file {filepath!r}", allow_nonfinite)
    model_state.set_model_state(model, source, skip_mismatch=skip_mismatch, convert_dtypes=convert_dtypes)


def _is_legacy_h5(source) -> bool:
    """Whether an HDF5 file has tf.keras 2's layout (``layer_names``) rather than Keras 3's (``layers/...``)."""
    with hdf5_safety.open_hdf5(source) as checked:
        legacy = checked.attribute("/", "layer_names") is not None or "/model_weights" in checked.groups
    source.seek(0)
    return legacy


def _load_h5_weights(model, source, skip_mismatch, convert_dtypes, allow_nonfinite, by_name=False) -> None:
    if _is_legacy_h5(source):
        legacy_h5.load_legacy_h5_weights(
            model, source, by_name=by_name, skip_mismatch=skip_mismatch, convert_dtypes=convert_dtypes
        )
        state = model_state.ArraySource(model_state.get_model_state(model, include_optimizer=False))
        integrity.check_finite(state, state.specs, "The HDF5 weights", allow_nonfinite)
        return
    if by_name:
        raise ValueError(
            "load_weights(by_name=True): matching by layer name is for tf.keras 2 .h5 files; a Keras 3 "
            ".weights.h5 is matched by the model's structure. Drop by_name (as Keras 3 requires)."
        )
    keras_weights_h5.load_keras_weights_h5(
        model,
        source,
        include_optimizer=getattr(model, "optimizer", None) is not None,
        skip_mismatch=skip_mismatch,
        convert_dtypes=convert_dtypes,
        allow_nonfinite=allow_nonfinite,
    )


# --- model files ----------------------------------------------------------------------------------
def _serialize_compile_value(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_compile_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_compile_value(v) for k, v in value.items()}
    return serialization.serialize_keras_object(value)


def compile_config(model) -> dict:
    """Keras's ``compile_config``, plus loom's ``training_seed`` (a resumed run draws the same keys)."""
    arguments = model._compile_args
    steps = model.steps_per_execution
    return {
        "optimizer": serialization.serialize_keras_object(model.optimizer),
        "loss": _serialize_compile_value(arguments["loss"]),
        "loss_weights": _serialize_compile_value(arguments["loss_weights"]),
        "metrics": _serialize_compile_value(arguments["metrics"]),
        "weighted_metrics": _serialize_compile_value(arguments["weighted_metrics"]),
        "run_eagerly": bool(model.run_eagerly),
        "steps_per_execution": steps,
        "jit_compile": model.jit_compile if isinstance(model.jit_compile, (bool, str)) else True,
        "training_seed": int(model._training_seed),
    }


def _check_model_path(filepath: str) -> None:
    if filepath.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"loom does not write HDF5 files ({filepath!r}). Save to a `.keras` (or `.loom`) file, "
            "e.g. model.save('model.keras'), or save weights with model.save_weights(...)."
        )
    if not filepath.endswith(_MODEL_EXTENSIONS):
        raise ValueError(
            f"Invalid filepath extension for saving: {filepath!r}. Add a `.keras` (or `.loom`) extension, "
            "e.g. model.save('model.keras')."
        )


def model_config(model, collect_arrays: bool) -> tuple[dict, dict]:
    """``(config, arrays)``: the model's serialized config and the arrays it refers to."""
    with scope_module.saving(collect_arrays) as saving:
        config = serialization.serialize_keras_object(model)
    return config, saving.arrays


def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True, **kwargs) -> None:
    """Save architecture, weights, compile settings and optimizer state to one zip file.

    Args:
        model: a built model.
        filepath: a ``.keras`` path writes Keras 3's format (``config.json``,
            ``metadata.json``, ``model.weights.h5``), which Keras's
            ``load_model`` reads too; a ``.loom`` path writes loom's own format
            (weights in safetensors, each tensor's SHA-256).
        overwrite: False refuses to replace an existing file.
        include_optimizer: also save the optimizer's state (when it is built).

    The write is atomic: a failure (or a killed process) leaves any previous
    file at ``filepath`` complete.

    Raises:
        SerializationError: part of the model cannot be saved (e.g. a function without source).
    """
    unknown = sorted(set(kwargs) - {"zipped", "save_format"})
    if unknown:
        raise TypeError(f"save_model() got unexpected keyword arguments {unknown}.")
    filepath = os.fspath(filepath)
    _check_model_path(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
    if filepath.endswith(".keras"):
        _save_keras_format(model, filepath, include_optimizer)
        return
    config, arrays = model_config(model, collect_arrays=True)
    if getattr(model, "compiled", False):
        config["compile_config"] = compile_config(model)
    state = model_state.get_model_state(model, include_optimizer)
    overlap = sorted(set(state) & set(arrays))
    if overlap:
        raise SerializationError(f"Model '{model.name}': names {overlap[:5]} are used twice in the weights file.")
    metadata = {  # write_archive adds the format version and the tensors' SHA-256 digests
        "format": FORMAT,
        "loom_version": _loom_version(),
        "date_saved": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"),
        "model": {"class_name": config.get("class_name"), "name": model.name},
        "includes_optimizer": any(k.startswith(model_state.OPTIMIZER_PREFIX) for k in state),
    }
    weights_metadata = {
        **model_state.optimizer_metadata(model, include_optimizer),
        **model_state.tree_metadata(model),
    }
    archive_module.write_archive(filepath, config, {**state, **arrays}, metadata, weights_metadata)


def _save_keras_format(model, filepath: str, include_optimizer: bool) -> None:
    """Keras 3's ``.keras``: the config in Keras's spelling (arrays inline, as Keras writes them),
    the weights in Keras's HDF5 layout, loom's training seed in the metadata."""
    config, _ = model_config(model, collect_arrays=False)
    compiled = getattr(model, "compiled", False)
    if compiled:
        config["compile_config"] = compile_config(model)
    keras_form = keras_config.to_keras(config)
    weights_h5 = keras_weights_h5.keras_weights_h5_bytes(model, include_optimizer=include_optimizer)
    extras = {"format": FORMAT, "loom_version": _loom_version()}
    if compiled:
        extras["training_seed"] = int(model._training_seed)
    keras_archive.write_keras_archive(filepath, keras_form, weights_h5, extras)


def _compile_from_config(model, config: dict, loading) -> None:
    def deserialize(value):
        return serialization.deserialize_entry(value, loading)

    optimizer = deserialize(config.get("optimizer"))
    model.compile(
        optimizer=optimizer if optimizer is not None else "rmsprop",
        loss=deserialize(config.get("loss")),
        loss_weights=config.get("loss_weights"),
        metrics=deserialize(config.get("metrics")),
        weighted_metrics=deserialize(config.get("weighted_metrics")),
        run_eagerly=bool(config.get("run_eagerly", False)),
        steps_per_execution=config.get("steps_per_execution", "auto"),
        jit_compile=config.get("jit_compile", True),
    )
    seed = config.get("training_seed")
    if seed is not None:
        if type(seed) is not int or not 0 <= seed < 2**63:
            raise ConfigError(f"compile_config.training_seed must be a non-negative int; received {seed!r}.")
        model._training_seed = seed


def load_model(
    filepath,
    custom_objects: dict | None = None,
    compile: bool = True,
    safe_mode: bool = True,
    allow_nonfinite: bool = True,
):
    """Load a model saved by ``save_model`` / ``model.save``.

    Args:
        filepath: the ``.keras`` / ``.loom`` file.
        custom_objects: ``{name: class or function}`` for your own layers,
            losses, functions; only these, registered objects and loom's
            built-ins are ever built.
        compile: re-compile with the saved settings and restore the optimizer's
            state and training seed, so ``fit`` continues where it stopped.
        safe_mode: run a Lambda's stored source only in the restricted
            evaluator (refusing anything but array math); ``False`` runs it with
            Python, for files you trust.
        allow_nonfinite: weights holding NaN or Inf (saved after training
            diverged) load with a warning naming them; False refuses them with
            a ``NonFiniteWeightsError`` instead (a loom extension to Keras).

    Every tensor is checked against the SHA-256 recorded when the file was
    written (files written before loom recorded digests have none), and the
    file's format version against the versions this loom reads.

    Raises:
        FileNotFoundError: no such file.
        SavingError: a subclass naming the problem (see ``loom.saving.errors``),
            e.g. ``IntegrityError`` for a tensor that differs from its digest.
    """
    filepath = os.fspath(filepath)
    with open(filepath, "rb") as handle:  # opened once: a concurrent os.replace cannot mix two files
        kind = _model_file_kind(handle)
        if kind == "hdf5":
            return _load_legacy_h5(handle, filepath, custom_objects, compile, safe_mode)
        if kind == "keras":
            loaded = keras_archive.read_open_keras_archive(handle, filepath)
        else:
            loaded = archive_module.read_open_archive(handle, filepath)
    if kind == "keras":
        return _load_keras_format(loaded, custom_objects, compile, safe_mode, allow_nonfinite)
    config = loaded.config
    source = loaded.weights if loaded.weights is not None else model_state.ArraySource({})
    section = model_state.ModelSection(source, compile)
    integrity.check_finite(section, section.specs, f"Model file {filepath!r}", allow_nonfinite)
    with scope_module.loading(source, safe_mode, custom_objects) as loading:
        # Every variable of the model must be filled from the file: it may not allocate more
        # (seed states and other small state get a little slack).
        loading.variable_budget = model_state.weights_bytes(source) + _BUDGET_SLACK
        model = serialization.build_guarded(lambda: serialization.deserialize_entry(config, loading), "the model")
        loading.variable_budget = None  # the optimizer's slots come next, sized by the model
        if not hasattr(model, "stateless_call") or not hasattr(model, "compile"):
            raise ConfigError(f"{filepath!r} describes a {type(model).__name__}, not a model.")
        compile_settings = config.get("compile_config")
        if compile and isinstance(compile_settings, dict):
            serialization.build_guarded(
                lambda: _compile_from_config(model, compile_settings, loading),
                "the compile settings",
            )
        _check_arrays_used(source, loading, filepath)
    section = model_state.ModelSection(source, compile and model.optimizer is not None)
    serialization.build_guarded(lambda: model_state.set_model_state(model, section), "the model's state")
    return model


def _loom_form(config: dict) -> dict:
    """A model config from Keras 3, tf.keras 2 or loom, in the form loom builds."""
    if keras_legacy_config.is_keras2_config(config):
        return keras_legacy_config.from_keras2(config)
    return keras_config.from_keras(config)


def _load_legacy_h5(handle, filepath: str, custom_objects, compile, safe_mode):
    """A tf.keras 2 HDF5 model: its ``model_config`` in Keras 3's schema, then its weights by layer name."""
    source = io.BytesIO(handle.read())
    model_config_ = legacy_h5.read_legacy_h5_model_config(source)
    if not isinstance(model_config_, dict):
        raise ConfigError(
            f"HDF5 file {filepath!r} holds no model config (a weights-only file?). Build the model in code and "
            "call model.load_weights on it."
        )
    config = _loom_form(model_config_)
    with scope_module.loading(None, safe_mode, custom_objects) as loading:
        loading.variable_budget = source.getbuffer().nbytes + _BUDGET_SLACK
        model = _build_model(config, loading, f"HDF5 file {filepath!r}")
        loading.variable_budget = None
        training = legacy_h5.read_legacy_h5_training_config(source) if compile else None
        if isinstance(training, dict):
            settings = keras_legacy_config.compile_config_from_training_config(training)
            serialization.build_guarded(
                lambda: _compile_from_config(model, settings, loading),
                "the compile settings",
            )
    legacy_h5.load_legacy_h5_weights(model, source)
    return model


def _model_file_kind(handle) -> str:
    """``"keras"`` (Keras 3's zip), ``"loom"`` (loom's zip, or anything else: its reader names the problem)
    or ``"hdf5"`` (a tf.keras 2 model), from the file's content, never its extension."""
    kind = hdf5_safety.sniff_file_kind(handle)
    if kind == "zip":
        try:
            with zipfile.ZipFile(handle) as archive:
                names = archive.namelist()
        except archive_module.ZIP_ERRORS:
            names = []  # loom's reader reports the damage
        handle.seek(0)
        return "keras" if keras_archive.is_keras_layout(names) else "loom"
    return "hdf5" if kind == "hdf5" else "loom"


def _build_model(config: dict, loading, what: str):
    model = serialization.build_guarded(lambda: serialization.deserialize_entry(config, loading), "the model")
    if not hasattr(model, "stateless_call") or not hasattr(model, "compile"):
        raise ConfigError(f"{what} describes a {type(model).__name__}, not a model.")
    return model


def _load_keras_format(loaded, custom_objects, compile, safe_mode, allow_nonfinite):
    """A model from a ``.keras`` file in Keras 3's format (written by Keras or by loom)."""
    what = f"Model file {str(loaded.path)!r}"
    config = keras_config.from_keras(loaded.config)
    with scope_module.loading(None, safe_mode, custom_objects) as loading:
        # The model may not allocate more than its weights file could fill (HDF5 adds overhead, never less).
        loading.variable_budget = len(loaded.weights) + _BUDGET_SLACK
        model = _build_model(config, loading, what)
        loading.variable_budget = None
        compile_settings = config.get("compile_config")
        if compile and isinstance(compile_settings, dict):
            serialization.build_guarded(
                lambda: _compile_from_config(model, compile_settings, loading),
                "the compile settings",
            )
            seed = loaded.training_seed
            if seed is not None:
                model._training_seed = seed
    with_optimizer = compile and getattr(model, "optimizer", None) is not None
    keras_weights_h5.load_keras_weights_h5(
        model, keras_archive.weights_file(loaded), include_optimizer=with_optimizer, allow_nonfinite=allow_nonfinite
    )
    return model


def _check_arrays_used(source, loading, filepath) -> None:
    stored = {k for k in source.specs if k.startswith("__arrays__/")}
    unused = sorted(stored - loading.used_keys)
    if unused:
        raise WeightsMismatchError(
            f"Model file {filepath!r} holds arrays the config never refers to: {unused[:10]}.",
            unexpected=unused,
        )


def model_to_json(model, **kwargs) -> str:
    """The model's architecture as JSON in Keras 3's schema (arrays written inline, as Keras does):
    ``keras.models.model_from_json`` reads it, as does loom's ``model_from_json``."""
    config, _ = model_config(model, collect_arrays=False)
    return json.dumps(keras_config.to_keras(config), **kwargs)


def model_from_json(json_string, custom_objects: dict | None = None, safe_mode: bool = True):
    """Rebuild a model (with fresh weights) from ``to_json()``'s output: loom's, Keras 3's or tf.keras 2's."""
    config = archive_module.parse_json(json_string, "the model JSON")
    if not isinstance(config, dict):
        raise ConfigError("The model JSON must hold an object with 'class_name' and 'config'.")
    config = _loom_form(config)
    with scope_module.loading(None, safe_mode, custom_objects) as loading:
        return serialization.build_guarded(lambda: serialization.deserialize_entry(config, loading), "the model")
