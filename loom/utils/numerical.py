"""Label and vector arithmetic on data: Keras's ``to_categorical`` and ``normalize``.

Both follow Keras 3 (``keras.utils.numerical_utils``): NumPy and Python input
gives NumPy output (float64 one-hot rows, as Keras), JAX arrays give JAX arrays.
"""

import jax
import jax.numpy as jnp
import numpy as np

from loom.utils.dtypes import floatx


def _ops():
    """loom.ops, which sits above loom.utils in the import graph: ``normalize`` of
    arrays and symbolic tensors is ``ops.normalize``. This is the one place this
    module reaches it, at call time."""
    from loom import ops

    return ops


def _check_num_classes(num_classes) -> None:
    if num_classes is None:
        return
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(
            f"to_categorical: `num_classes` must be a positive int or None (inferred as max(x) + 1); "
            f"received num_classes={num_classes!r}."
        )
    if num_classes < 1:
        # Keras treats 0 like None; an explicit count of no classes is a mistake, not a request.
        raise ValueError(
            f"to_categorical: `num_classes` must be a positive int or None (inferred as max(x) + 1); "
            f"received num_classes={num_classes}."
        )


def _integer_labels(labels: np.ndarray) -> np.ndarray:
    """``labels`` as int64, refusing what Keras would silently truncate (1.7 -> 1)."""
    if labels.dtype.kind in "biu":
        return labels.astype("int64")
    if labels.dtype.kind != "f":
        raise TypeError(
            f"to_categorical expects integer class labels; received an array of dtype {labels.dtype}. "
            "Map the labels to integers 0..num_classes-1 first (e.g. with np.unique(y, return_inverse=True))."
        )
    fractional = ~np.isfinite(labels) | (labels != np.floor(labels))
    if fractional.any():
        example = labels[fractional].flat[0]
        raise ValueError(
            f"to_categorical expects integer class labels; received {example!r}, which is not a whole number "
            "(Keras would silently truncate it). Round the labels or map them to integers first."
        )
    return labels.astype("int64")


def _checked_labels(labels: np.ndarray, num_classes) -> tuple[np.ndarray, int]:
    """``(int labels, num_classes)``, with every label checked to lie in ``[0, num_classes)``."""
    labels = _integer_labels(labels)
    if num_classes is None:
        if labels.size == 0:
            raise ValueError(
                "to_categorical cannot infer `num_classes` from no labels; pass num_classes=..."
            )
        num_classes = int(labels.max()) + 1
    num_classes = int(num_classes)
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        # Keras gives an IndexError above the range and silently counts negative
        # labels from the end (-1 -> the last class); neither is a one-hot encoding.
        raise ValueError(
            f"to_categorical: labels must be integers in [0, num_classes) = [0, {num_classes}); received "
            f"label {int(labels[outside].flat[0])}. Pass a larger num_classes, or remap the labels."
        )
    return labels, num_classes


def to_categorical(x, num_classes: int | None = None):
    """Integer class labels as one-hot rows (a binary class matrix), the class axis last.

    A trailing axis of size 1 is dropped first, so labels of shape ``(n, 1)``
    give ``(n, num_classes)``.

    Args:
        x: integer labels in ``[0, num_classes)``: a list, NumPy array or JAX array.
        num_classes: the number of classes; None infers ``max(x) + 1``.

    Returns:
        NumPy float64 one-hot rows for NumPy or Python input; a JAX array in
        floatx for JAX input (as Keras does for backend tensors).

    Raises:
        ValueError: a label is negative, not below ``num_classes``, or not a
            whole number (Keras would silently produce a wrong row). Under
            ``jax.jit`` the labels cannot be read, so out-of-range labels give
            all-zero rows there, as in Keras.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]])
    """
    _check_num_classes(num_classes)
    if isinstance(x, jax.Array):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        if isinstance(x, jax.core.Tracer):
            if num_classes is None:
                raise ValueError(
                    "to_categorical cannot infer `num_classes` from traced labels (inside jax.jit); "
                    "pass num_classes=..."
                )
            if not jnp.issubdtype(x.dtype, jnp.integer):
                x = x.astype("int32")  # jax.nn.one_hot deprecates float labels
        else:
            x, num_classes = _checked_labels(np.asarray(x), num_classes)
        return jax.nn.one_hot(x, num_classes, dtype=floatx())
    labels = np.asarray(x)
    input_shape = labels.shape
    if len(input_shape) > 1 and input_shape[-1] == 1:
        input_shape = input_shape[:-1]
    labels, num_classes = _checked_labels(labels.reshape(-1), num_classes)
    categorical = np.zeros((labels.shape[0], num_classes))
    categorical[np.arange(labels.shape[0]), labels] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x, axis: int | None = -1, order=2):
    """``x`` divided by its ``order``-norm along ``axis``.

    Args:
        x: a NumPy array, JAX array, symbolic tensor or nested list.
        axis: the axis along which to normalize.
        order: the norm's order (``2`` for the L2 norm).

    Returns:
        For a NumPy array, a NumPy array: ``x / np.linalg.norm(x, order, axis)``,
        where zero norms are replaced by 1 (so zero vectors stay zero).
        Anything else goes through ``loom.ops.normalize`` (an int ``order >= 1``,
        the norm floored at epsilon) and gives a JAX array or symbolic tensor.

    Example:
        >>> normalize(np.array([[3.0, 4.0]]))
        array([[0.6, 0.8]])
    """
    if isinstance(x, (list, tuple)):
        x = jnp.asarray(x)
    if isinstance(x, jax.Array) and not jnp.issubdtype(x.dtype, jnp.inexact):
        # Keras fails here (rsqrt of int32); integer vectors are normalized in floatx.
        x = x.astype(floatx())
    if not isinstance(x, np.ndarray):
        return _ops().normalize(x, axis=axis, order=order)
    try:
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    except ValueError as err:  # numpy's AxisError is a ValueError too
        raise ValueError(
            f"normalize: cannot take the norm of order={order!r} along axis={axis!r} of an array of shape "
            f"{x.shape}: {err}. Use an axis of the array and an order np.linalg.norm accepts."
        ) from err
    norm[norm == 0] = 1
    # Keras 3.15 wrote `axis or -1` here, which divides by the wrong axis for axis=0;
    # later Keras (and loom) keep axis=0 and only map None to -1.
    return x / np.expand_dims(norm, -1 if axis is None else axis)
