"""tf.keras 2 / Keras 2 ``.h5`` files: their weights loaded into a loom model, their configs read as JSON.

Keras 2 wrote two kinds of HDF5 file. A weights-only file (``save_weights``)
has root attributes ``layer_names`` (one per top-level layer),
``keras_version`` and ``backend``, and a group per layer whose attribute
``weight_names`` lists its datasets by TensorFlow name (``dense/kernel:0``,
``lstm/lstm_cell/kernel:0``: nested groups inside the layer's group). A
full-model file (``model.save("m.h5")``) holds the same under the group
``model_weights``, plus the root attributes ``model_config`` and
``training_config`` (JSON) and ``optimizer_weights``.

Weights are matched to the model's top-level layers that have weights, in
order (or by layer name with ``by_name=True``), and within a layer by
position, in Keras 2's order: trainable weights, then non-trainable ones
(BatchNormalization: gamma, beta, moving_mean, moving_variance; LSTM: kernel,
recurrent_kernel, bias; Bidirectional: the forward layer's, then the
backward layer's; a nested model: all its layers' trainable weights, then
their non-trainable ones). The optimizer's Keras 2 state is not restored:
Keras 3 optimizers lay out their variables differently.
"""

import posixpath
import warnings

from loom.saving.archive import parse_json
from loom.saving.errors import WeightsMismatchError
from loom.saving.hdf5_safety import Hdf5FileError, Hdf5Limits, open_hdf5
from loom.saving.warning_location import user_stacklevel


def _string_list(checked, path: str, name: str) -> list:
    """A list-of-strings attribute, including one Keras 2 split into ``name0``, ``name1``, ... (HDF5
    keeps attributes under 64 KB)."""
    value = checked.attribute(path, name)
    if value is None:
        value, chunk = [], 0
        while (part := checked.attribute(path, f"{name}{chunk}")) is not None:
            value.extend(part if isinstance(part, list) else [part])
            chunk += 1
    elif isinstance(value, str):
        value = [value]
    elif getattr(value, "size", None) == 0:  # an empty list, which h5py stores as an empty float array
        value = []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Hdf5FileError(f"{checked.what}: attribute {name!r} of {path!r} must list strings.")
    return value


def is_legacy_layout(checked) -> bool:
    """Whether an opened HDF5 file (``CheckedHdf5``) has Keras 2's layout rather than Keras 3's ``.weights.h5``."""
    return checked.attribute("/", "layer_names") is not None or (
        "/model_weights" in checked.groups and "/layers" not in checked.groups
    )


def _weights_root(checked) -> str:
    if checked.attribute("/", "layer_names") is None and "/model_weights" in checked.groups:
        return "/model_weights"
    return "/"


def _saved_layers(checked, root: str) -> list:
    """``(layer name, [dataset paths])`` for each layer of the file that has weights, in file order."""
    layers = []
    for name in _string_list(checked, root, "layer_names"):
        group = posixpath.join(root, name)
        if group not in checked.groups:
            raise Hdf5FileError(f"{checked.what}: 'layer_names' lists {name!r}, but {group!r} is not a group.")
        paths = [posixpath.join(group, weight) for weight in _string_list(checked, group, "weight_names")]
        for path in paths:
            if path not in checked.datasets:
                raise Hdf5FileError(
                    f"{checked.what}: layer {name!r} lists the weight {path!r}, which is not a dataset."
                )
        if paths:
            layers.append((name, paths))
    return layers


def _legacy_weights(layer) -> list:
    """Keras 2's order of a layer's weights in an HDF5 file: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


class _Pairs:
    """Saved datasets met with the model's variables, per layer; the problems, in Keras 2's words."""

    def __init__(self, checked, convert_dtypes: bool):
        self.checked, self.convert = checked, convert_dtypes
        self.assignments, self.problems = [], []
        self.missing, self.unexpected, self.mismatched = [], [], []

    def layer(self, label: str, variables: list, paths: list) -> None:
        if len(variables) != len(paths):
            self.problems.append(f"{label} expects {len(variables)} weight(s), the file holds {len(paths)}")
            self.missing.extend(v.path for v in variables[len(paths) :])
            self.unexpected.extend(paths[len(variables) :])
            return
        for variable, path in zip(variables, paths, strict=True):
            info = self.checked.datasets[path]
            if info.shape != variable.shape or (info.dtype.name != variable.dtype and not self.convert):
                found, expected = (info.shape, info.dtype.name), (variable.shape, variable.dtype)
                self.mismatched.append((path, found, expected))
                self.problems.append(
                    f"{label}: weight {variable.path} expects {expected[0]} {expected[1]}, "
                    f"the file's {path} is {found[0]} {found[1]}"
                )
            else:
                self.assignments.append((variable, path))


def _pair_in_order(pairs: _Pairs, model, saved: list) -> None:
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if len(layers) != len(saved):
        raise WeightsMismatchError(
            f"{pairs.checked.what}: model '{model.name}' has {len(layers)} layers with weights "
            f"({[layer.name for layer in layers]}), the file {len(saved)} ({[name for name, _ in saved]}). "
            "Build the model the file was saved from, or pass by_name=True to load the layers whose names match.",
            unexpected=[name for name, _ in saved[len(layers) :]],
            missing=[layer.name for layer in layers[len(saved) :]],
        )
    for index, (layer, (name, paths)) in enumerate(zip(layers, saved, strict=True)):
        label = f"layer #{index} ('{layer.name}' in the model, '{name}' in the file)"
        pairs.layer(label, _legacy_weights(layer), paths)


def _pair_by_name(pairs: _Pairs, model, saved: list) -> None:
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for name, paths in saved:
        for layer in by_name.get(name, []):
            pairs.layer(f"layer '{name}'", _legacy_weights(layer), paths)


def load_legacy_h5_weights(
    model, source, by_name: bool = False, skip_mismatch: bool = False, convert_dtypes: bool = False
) -> None:
    """Load the weights of a tf.keras 2 / Keras 2 ``.h5`` file (weights-only or full-model) into ``model``.

    Args:
        model: a built loom model with the architecture the file was saved from.
        source: a path or a readable, seekable binary file object.
        by_name: match layers by name (layers of either side without a match
            are skipped) instead of by order.
        skip_mismatch: leave out weights of another shape or count, with a
            warning, instead of raising.
        convert_dtypes: accept saved arrays of another dtype, converting their values.

    Raises:
        WeightsMismatchError: another number of layers (in order), or a layer's
            weights of another number, shape or dtype; nothing is assigned.
        Hdf5FileError, NotHdf5Error: the file is not HDF5, damaged or hostile.
    """
    shapes = [variable.shape for variable in model.weights]
    with open_hdf5(source, Hdf5Limits.for_arrays(shapes)) as checked:
        root = _weights_root(checked)
        saved = _saved_layers(checked, root)
        pairs = _Pairs(checked, convert_dtypes)
        (_pair_by_name if by_name else _pair_in_order)(pairs, model, saved)
        top = posixpath.join(root, "top_level_model_weights")
        if top in checked.groups:  # Keras 3's legacy writer adds the model's own weights here
            paths = [posixpath.join(top, w) for w in _string_list(checked, top, "weight_names")]
            if all(path in checked.datasets for path in paths):
                pairs.layer("the model's own weights", _legacy_weights_own(model), paths)
        if pairs.problems and not skip_mismatch:
            raise WeightsMismatchError(
                f"{checked.what}: the saved weights do not fit model '{model.name}': "
                + "; ".join(pairs.problems)
                + ". Build the model the file was saved from, or pass skip_mismatch=True to load what fits.",
                pairs.missing,
                pairs.unexpected,
                pairs.mismatched,
            )
        values = [(variable, checked.read(path)) for variable, path in pairs.assignments]
    if pairs.problems:
        warnings.warn(
            f"Model '{model.name}': skip_mismatch=True left out: " + "; ".join(pairs.problems) + ".",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    for variable, value in values:
        variable.assign(value.astype(variable.dtype, copy=False))


def _legacy_weights_own(model) -> list:
    own = model._own_variables
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def _json_attribute(source, name: str):
    with open_hdf5(source) as checked:
        value = checked.attribute("/", name)
        what = checked.what
    if value is None:
        return None
    if not isinstance(value, str):
        raise Hdf5FileError(f"{what}: the root attribute {name!r} must be JSON text; it holds {type(value).__name__}.")
    return parse_json(value, f"{what}: attribute {name!r}")


def read_legacy_h5_model_config(source) -> dict | None:
    """The ``model_config`` JSON of a Keras 2 full-model ``.h5`` file (``{"class_name", "config"}``), or
    None for a weights-only file.

    Raises:
        ConfigError: the JSON is malformed or beyond loom's limits.
        Hdf5FileError, NotHdf5Error: the file is not HDF5, damaged or hostile.
    """
    config = _json_attribute(source, "model_config")
    if config is not None and not isinstance(config, dict):
        raise Hdf5FileError("The file's 'model_config' must be a JSON object with 'class_name' and 'config'.")
    return config


def read_legacy_h5_training_config(source) -> dict | None:
    """The ``training_config`` JSON of a Keras 2 full-model ``.h5`` file (loss, metrics, optimizer), or None."""
    config = _json_attribute(source, "training_config")
    if config is not None and not isinstance(config, dict):
        raise Hdf5FileError("The file's 'training_config' must be a JSON object.")
    return config
