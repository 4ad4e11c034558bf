"""Saving and loading models and weights: Keras 3's functions, on loom's safe file format.

- ``save_model(model, path)`` / ``model.save(path)``: one zip file (``.keras``
  or ``.loom``) with ``config.json`` (architecture and compile settings),
  ``metadata.json`` and ``model.safetensors`` (weights, arrays the config
  refers to, and optionally the optimizer's state), written atomically.
- ``load_model(path, custom_objects=None, compile=True, safe_mode=True)``:
  rebuilds it through the registry only; with ``compile=True`` the optimizer
  comes back with its state and the training seed, so ``fit`` continues as if
  never interrupted.
- ``save_weights`` / ``load_weights``: the variables alone, in safetensors.
- ``get_model_state`` / ``set_model_state``: the same named arrays in memory,
  for checkpoints that add their own arrays and JSON (``write_archive``).
- ``model_from_json`` (and ``model.to_json()``): architecture only.

Both kinds of file record each tensor's SHA-256, checked on loading (see
``integrity``); loaded weights holding NaN or Inf give a warning naming them,
or with ``allow_nonfinite=False`` an error.
"""

import datetime
import json
import os

from loom.saving import archive as archive_module
from loom.saving import integrity, model_state, serialization, weights
from loom.saving import scope as scope_module
from loom.saving.errors import ArchiveError, ConfigError, SerializationError, WeightsFileError, WeightsMismatchError
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
    """Write the model's variables to a safetensors file, atomically.

    Args:
        model: a built model (or layer).
        filepath: the file; any extension (``.weights.safetensors`` reads best;
            Keras's ``.weights.h5`` name also works, holding safetensors data).
        overwrite: False refuses to replace an existing file.
        include_optimizer: also write the optimizer's state (``"__optimizer__/..."``).
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
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
    model, filepath, skip_mismatch: bool = False, convert_dtypes: bool = False, allow_nonfinite: bool = True
) -> None:
    """Load variables saved by ``save_weights`` (or the weights inside a model file).

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

    Raises:
        WeightsMismatchError: listing missing, unexpected and mismatched weights.
        IntegrityError: a tensor differs from its recorded SHA-256.
        NonFiniteWeightsError: NaN or Inf in the weights with ``allow_nonfinite=False``.
        WeightsFileError, ArchiveError: the file is damaged or hostile.
    """
    filepath = os.fspath(filepath)
    with open(filepath, "rb") as handle:  # opened once: a concurrent os.replace cannot mix two files
        if archive_module.starts_like_zip(handle):
            loaded = archive_module.read_open_archive(handle, filepath)
            _refuse_keras_weights(loaded, filepath)
            if loaded.weights is None:
                raise WeightsFileError(f"Model file {filepath!r} holds no {archive_module.WEIGHTS}.")
            source = loaded.weights
        else:
            source = weights.SafetensorsFile(handle.read(), source=f"Weights file {filepath!r}")
            table = integrity.saved_digest_table(source, f"Weights file {filepath!r}")
            if table is not None:
                integrity.verify_digests(source, table, f"Weights file {filepath!r}")
    with_optimizer = getattr(model, "optimizer", None) is not None
    section = model_state.ModelSection(source, with_optimizer)
    integrity.check_finite(section, section.specs, f"Weights file {filepath!r}", allow_nonfinite)
    model_state.set_model_state(model, source, skip_mismatch=skip_mismatch, convert_dtypes=convert_dtypes)


def _refuse_keras_weights(loaded, filepath: str) -> None:
    keras = [name for name in archive_module.KERAS_WEIGHTS if name in loaded.names]
    if keras:
        raise ArchiveError(
            f"{filepath!r} was written by Keras (its weights are {keras[0]}); loom reads model files with "
            "safetensors weights. Rebuild the model in loom and load weights exported from Keras instead."
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
        filepath: a path ending in ``.keras`` or ``.loom``.
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
    loaded = archive_module.read_archive(filepath)
    _refuse_keras_weights(loaded, filepath)
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
                lambda: _compile_from_config(model, compile_settings, loading), "the compile settings"
            )
        _check_arrays_used(source, loading, filepath)
    section = model_state.ModelSection(source, compile and model.optimizer is not None)
    serialization.build_guarded(lambda: model_state.set_model_state(model, section), "the model's state")
    return model


def _check_arrays_used(source, loading, filepath) -> None:
    stored = {k for k in source.specs if k.startswith("__arrays__/")}
    unused = sorted(stored - loading.used_keys)
    if unused:
        raise WeightsMismatchError(
            f"Model file {filepath!r} holds arrays the config never refers to: {unused[:10]}.", unexpected=unused
        )


def model_to_json(model, **kwargs) -> str:
    """The model's architecture as a JSON string (arrays written inline, as Keras does)."""
    config, _ = model_config(model, collect_arrays=False)
    return json.dumps(config, **kwargs)


def model_from_json(json_string, custom_objects: dict | None = None, safe_mode: bool = True):
    """Rebuild a model (with fresh weights) from ``model.to_json()``'s output."""
    config = archive_module.parse_json(json_string, "the model JSON")
    if not isinstance(config, dict):
        raise ConfigError("The model JSON must hold an object with 'class_name' and 'config'.")
    with scope_module.loading(None, safe_mode, custom_objects) as loading:
        return serialization.build_guarded(lambda: serialization.deserialize_entry(config, loading), "the model")
