"""Keras 3's ``.weights.h5`` files: written for a loom model so Keras reads them, and read from Keras.

The layout (see ``keras_weights_layout``) is Keras's: ``layers/<class>/vars/<i>``
groups found by the model's structure, not by layer names, so a loom model
and a Keras model of the same architecture exchange weights. Reading opens
the file with ``hdf5_safety`` (no links, external or virtual data, or shape
bombs; no dataset larger than the model's largest variable), then checks
every layer against the file before assigning anything: a layer loads all
its weights or, with ``skip_mismatch``, none.

Dtypes: Keras casts a saved array to its variable's dtype silently; loom
refuses a different dtype (a float16 kernel for a float32 variable) unless
the caller passes ``convert_dtypes=True``, which converts the values as
NumPy's ``astype`` does. Bytes are never reinterpreted as another dtype.
"""

import io
import os
import warnings

import h5py
import ml_dtypes
import numpy as np

from loom.saving import integrity
from loom.saving.atomic_write import atomic_write_bytes
from loom.saving.errors import SerializationError, WeightsMismatchError
from loom.saving.hdf5_safety import Hdf5Limits, open_hdf5
from loom.saving.keras_weights_layout import Slot, keras_slots, optimizer_slot

# tf.keras 2's layout has its own module; its entry points are offered here too, beside Keras 3's.
from loom.saving.legacy_h5 import (
    is_legacy_layout,
    load_legacy_h5_weights,
    read_legacy_h5_model_config,
    read_legacy_h5_training_config,
)
from loom.saving.model_state import ArraySource
from loom.saving.warning_location import user_stacklevel
from loom.saving.weights import listing

__all__ = [
    "keras_weights_h5_bytes",
    "load_h5_weights",
    "load_keras_weights_h5",
    "load_legacy_h5_weights",
    "read_legacy_h5_model_config",
    "read_legacy_h5_training_config",
    "save_keras_weights_h5",
]
_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


# --- writing --------------------------------------------------------------------------------------------
def _check_built(model) -> None:
    if not getattr(model, "built", False):
        raise SerializationError(
            f"Model '{model.name}' is not built, so it has no weights to save. Call it on data or an Input "
            "first (or call model.build(input_shape))."
        )


def keras_weights_h5_bytes(model, include_optimizer: bool = False) -> bytes:
    """The bytes of Keras 3's ``.weights.h5`` for ``model`` (see ``save_keras_weights_h5``)."""
    _check_built(model)
    slots = keras_slots(model)
    if include_optimizer:
        slot = optimizer_slot(model)
        if slot is not None:
            slots.append(slot)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as file:
        for slot in slots:
            group = file.create_group(slot.group)
            group.attrs["name"] = slot.name
            for index, variable in enumerate(slot.variables):
                value = np.asarray(variable.value)
                dataset = group.create_dataset(str(index), data=value)
                if value.dtype == _BFLOAT16:
                    dataset.attrs["dtype"] = "bfloat16"  # as Keras tags it: HDF5 has no bfloat16
    return buffer.getvalue()


def save_keras_weights_h5(model, target, include_optimizer: bool = False) -> None:
    """Write ``model``'s weights in Keras 3's ``.weights.h5`` layout, which Keras's ``load_weights`` reads.

    Args:
        model: a built loom model.
        target: a path (written atomically: a failure leaves the old file) or
            a writable binary file object (e.g. a member of a ``.keras`` zip).
        include_optimizer: also write the optimizer's variables (``optimizer/vars``)
            when it is built, as Keras does for a compiled model.
    """
    data = keras_weights_h5_bytes(model, include_optimizer)
    if hasattr(target, "write"):
        target.write(data)
    else:
        atomic_write_bytes(os.fspath(target), data)


# --- reading --------------------------------------------------------------------------------------------
class _Check:
    """The file's datasets met with the model's slots: what loads, and every problem."""

    def __init__(self, checked, slots: list, convert_dtypes: bool):
        self.loadable, self.failed = [], []
        self.missing, self.unexpected, self.mismatched, self.lines = [], [], [], []
        self._convert = convert_dtypes
        self._by_group = {}
        for path, info in checked.datasets.items():
            group, _, name = path.rpartition("/")
            self._by_group.setdefault(group, {})[name] = info
        claimed = set()
        for slot in slots:
            claimed.add(slot.group)
            self._slot(slot)
        self.unused = sorted(
            f"{group}/{name}" for group, names in self._by_group.items() if group not in claimed for name in names
        )

    def _slot(self, slot: Slot) -> None:
        saved = self._by_group.get(slot.group, {})
        problems = []
        for index, variable in enumerate(slot.variables):
            key, info = slot.dataset(index), saved.get(str(index))
            label = f"{key} ({variable.name})"
            if info is None:
                self.missing.append(key)
                problems.append(f"{label} is missing")
            elif info.shape != variable.shape or (info.dtype.name != variable.dtype and not self._convert):
                found, expected = (
                    (info.shape, info.dtype.name),
                    (variable.shape, variable.dtype),
                )
                self.mismatched.append((key, found, expected))
                problems.append(f"{label} is saved as {found[0]} {found[1]}, the model has {expected[0]} {expected[1]}")
        extra = sorted(set(saved) - {str(i) for i in range(len(slot.variables))})
        for name in extra:
            self.unexpected.append(f"{slot.group}/{name}")
        if extra:
            problems.append(
                f"{slot.group} holds {len(saved)} weights for {len(slot.variables)} in the model "
                f"(extra: {listing(extra)})"
            )
        if problems:
            self.failed.append(slot)
            self.lines.append(f"layer '{slot.name}': " + "; ".join(problems))
        elif slot.variables:
            self.loadable.append(slot)


def _limits(slots: list) -> Hdf5Limits:
    # The optimizer's slots have the weights' shapes, up to three per weight (AMSGrad).
    return Hdf5Limits.for_arrays([variable.shape for slot in slots for variable in slot.variables], copies=4)


def _has_optimizer_state(checked) -> bool:
    return any(path.startswith("/optimizer/vars/") for path in checked.datasets)


def _saved_part(checked, slot: Slot, optimizer) -> Slot:
    """The optimizer's slot, cut to what a compiled Keras model that never trained saves: only the
    variables its optimizer makes at construction (iterations, and the learning rate unless it is a
    schedule). The slots then keep their starting values, as in that Keras model."""
    saved = sum(1 for path in checked.datasets if path.startswith("/optimizer/vars/"))
    first_slot = next(
        (i for i, v in enumerate(slot.variables) if id(v) not in optimizer._base_variables), len(slot.variables)
    )
    if saved == first_slot < len(slot.variables):
        return Slot(slot.path, slot.name, slot.variables[:first_slot])
    return slot


def _fixes(check: _Check) -> str:
    hints = []
    if any(found[0] == expected[0] for _, found, expected in check.mismatched):
        hints.append("pass convert_dtypes=True to convert dtypes (Keras casts them silently)")
    hints.append("pass skip_mismatch=True to load only the layers that fit")
    return "Build the model with the architecture the file was saved from, or " + ", or ".join(hints) + "."


def load_keras_weights_h5(
    model,
    source,
    include_optimizer: bool = True,
    skip_mismatch: bool = False,
    convert_dtypes: bool = False,
    allow_nonfinite: bool = True,
) -> None:
    """Load a Keras 3 ``.weights.h5`` (from Keras's ``save_weights``, or inside a ``.keras`` file) into ``model``.

    Weights are found by the model's structure (``layers/dense_1/vars/0``), as
    Keras finds them, so the loom model must have the architecture of the
    Keras model that saved them; layer names do not matter.

    Args:
        model: a built loom model.
        source: a path or a readable, seekable binary file object.
        include_optimizer: also restore the optimizer's state when the file
            holds one (Keras writes it for compiled models) and the model has
            an optimizer; the optimizer is built first if needed.
        skip_mismatch: load the layers that fit and warn about the others
            (they keep their values), instead of raising.
        convert_dtypes: accept saved arrays of another dtype, converting their
            values (float16 -> float32); refused by default.
        allow_nonfinite: False refuses weights holding NaN or Inf.

    Raises:
        WeightsMismatchError: a layer's weights are missing, extra, or of
            another shape or dtype; the message names each by its path in the
            file, with the saved and expected shapes. Nothing is assigned.
        Hdf5FileError, NotHdf5Error: the file is not HDF5, damaged or hostile.
        NonFiniteWeightsError: NaN or Inf with ``allow_nonfinite=False``.
    """
    _check_built(model)
    slots = keras_slots(model)
    with open_hdf5(source, _limits(slots)) as checked:
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and optimizer is not None and _has_optimizer_state(checked):
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
            slots = slots + [_saved_part(checked, optimizer_slot(model), optimizer)]
        check = _Check(checked, slots, convert_dtypes)
        if check.failed and not skip_mismatch:
            raise WeightsMismatchError(
                f"{checked.what}: the saved weights do not fit model '{model.name}': "
                + "; ".join(check.lines)
                + ". "
                + _fixes(check),
                check.missing,
                check.unexpected,
                check.mismatched,
            )
        arrays = {
            slot.dataset(i): checked.read(slot.dataset(i))
            for slot in check.loadable
            for i in range(len(slot.variables))
        }
        what = checked.what
    integrity.check_finite(ArraySource(arrays), list(arrays), what, allow_nonfinite)
    _warn(model, check)
    for slot in check.loadable:
        for index, variable in enumerate(slot.variables):
            variable.assign(arrays[slot.dataset(index)].astype(variable.dtype, copy=False))


def _warn(model, check: _Check) -> None:
    lines = []
    if check.failed:
        lines.append(
            "skip_mismatch=True left out these layers, which keep their values: " + "; ".join(check.lines) + "."
        )
    # Keras writes the optimizer's state with every compiled model's weights: not loading it is no news.
    unused = [p for p in check.unused if not p.startswith("/optimizer/")]
    if unused:
        lines.append(f"The file holds weights the model has no place for; they are unused: {listing(unused)}.")
    if lines:
        warnings.warn(
            f"Model '{model.name}': " + " ".join(lines),
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def load_h5_weights(
    model,
    source,
    skip_mismatch: bool = False,
    convert_dtypes: bool = False,
    allow_nonfinite: bool = True,
    by_name: bool = False,
) -> None:
    """Load any Keras HDF5 weights file: Keras 3's ``.weights.h5`` or tf.keras 2's ``.h5`` (told apart by
    their layout, never by the file's name); ``by_name`` applies to tf.keras 2 files only, as in Keras.

    Raises:
        ValueError: ``by_name=True`` for a Keras 3 file, which has no layer names to match.
        See ``load_keras_weights_h5`` and ``load_legacy_h5_weights`` for the rest.
    """
    if hasattr(source, "read"):
        data = io.BytesIO(source.read())
    else:
        with open(os.fspath(source), "rb") as handle:  # read once: the checks and the load see one file
            data = io.BytesIO(handle.read())
    name = getattr(source, "name", None) if hasattr(source, "read") else os.fspath(source)
    if isinstance(name, str):
        data.name = name  # so messages name the file, not "the HDF5 data"
    with open_hdf5(data) as checked:
        legacy = is_legacy_layout(checked)
    data.seek(0)
    if legacy:
        load_legacy_h5_weights(model, data, by_name=by_name, skip_mismatch=skip_mismatch, convert_dtypes=convert_dtypes)
        return
    if by_name:
        raise ValueError(
            "by_name=True matches layers of tf.keras 2 `.h5` files; this is a Keras 3 `.weights.h5` file, "
            "whose weights are found by the model's structure. Load it without by_name."
        )
    load_keras_weights_h5(
        model, data, skip_mismatch=skip_mismatch, convert_dtypes=convert_dtypes, allow_nonfinite=allow_nonfinite
    )
