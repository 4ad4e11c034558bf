"""Geometric warps: images sampled at transformed coordinates (affine, perspective, elastic).

All warps are inverse maps: each output pixel says where in the input to read,
and ``map_coordinates`` interpolates there (order 0 = nearest, 1 = bilinear),
filling reads outside the image by ``fill_mode``.
"""

import jax
import jax.numpy as jnp

from loom.ops import image_layout as layout
from loom.ops.core import convert_to_tensor
from loom.ops.image_filters import gaussian_blur
from loom.ops.operation import symbolic_op
from loom.state.seed_generator import draw_key

INTERPOLATION_ORDERS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


@symbolic_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` read at fractional ``coordinates`` by spline interpolation, as scipy.ndimage.map_coordinates.

    Args:
        inputs: an array of rank N.
        coordinates: shape ``(N, *output_shape)``; ``coordinates[:, p]`` is
            where output point ``p`` reads ``inputs``.
        order: 0 (nearest) or 1 (linear).
        fill_mode: reads outside ``inputs``: "constant" (``fill_value``),
            "nearest" (edge value), "wrap" (periodic), "mirror" (reflect about the
            edge pixels' centres) or "reflect" (reflect about the edge).
        fill_value: the value outside ``inputs`` when ``fill_mode="constant"``.

    Returns:
        An array of shape ``output_shape`` in the dtype of ``inputs``.
    """
    inputs = convert_to_tensor(inputs)
    coordinates = convert_to_tensor(coordinates)
    if coordinates.ndim < 2 or coordinates.shape[0] != inputs.ndim:
        raise ValueError(
            "ops.image.map_coordinates: `coordinates` must have shape (rank of inputs, *output_shape), one "
            f"row per axis of `inputs`; received inputs.shape={tuple(inputs.shape)} and coordinates.shape="
            f"{tuple(coordinates.shape)}."
        )
    layout.choice(fill_mode, FILL_MODES, "map_coordinates", "fill_mode")
    layout.choice(order, (0, 1), "map_coordinates", "order")
    return jax.scipy.ndimage.map_coordinates(inputs, list(coordinates), order, mode=fill_mode, cval=fill_value)


def _sample(images, rows, cols, order, fill_mode, fill_value):
    """Batched channels-last ``images`` read at per-image ``rows``/``cols`` of shape (batch, height, width)."""

    def one_plane(plane, r, c):
        return jax.scipy.ndimage.map_coordinates(plane, [r, c], order, mode=fill_mode, cval=fill_value)

    per_channel = jax.vmap(one_plane, in_axes=(2, None, None), out_axes=2)
    return jax.vmap(per_channel)(images, rows, cols)


def _output_grid(height: int, width: int, dtype):
    rows, cols = jnp.meshgrid(jnp.arange(height, dtype=dtype), jnp.arange(width, dtype=dtype), indexing="ij")
    return rows, cols


@symbolic_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0, data_format=None):
    """Images warped by projective transforms given as 8 numbers each.

    A row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps output pixel ``(x, y)`` to the
    input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
    ``k = c0 x + c1 y + 1`` (the inverse of the map from input to output).
    Keras's JAX backend ignores ``c0, c1``; loom applies them as TensorFlow does.
    Gradients flow to ``images``, not to ``transform``.

    Args:
        images: an image (rank 3) or a batch (rank 4).
        transform: shape ``(8,)`` or ``(batch, 8)``.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "constant" (default), "nearest", "wrap", "mirror" or "reflect"; see ``map_coordinates``.
        fill_value: the value outside the image when ``fill_mode="constant"``.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.

    Example:
        >>> shift_right = jnp.array([1.0, 0, -1, 0, 1, 0, 0, 0])  # output x reads input x - 1
        >>> affine_transform(jnp.arange(3.0).reshape(1, 3, 1), shift_right)[0, :, 0]
        Array([0., 0., 1.], dtype=float32)
    """
    order = INTERPOLATION_ORDERS[
        layout.choice(interpolation, tuple(INTERPOLATION_ORDERS), "affine_transform", "interpolation")
    ]
    layout.choice(fill_mode, FILL_MODES, "affine_transform", "fill_mode")
    data_format = layout.data_format(data_format, "affine_transform")
    images = layout.images(images, "affine_transform")
    transform = convert_to_tensor(transform)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            "ops.image.affine_transform: `transform` must have shape (8,) for every image or (batch, 8), "
            f"rows [a0, a1, a2, b0, b1, b2, c0, c1]; received transform.shape={tuple(transform.shape)}."
        )
    x, unbatched = layout.to_batched_channels_last(images, data_format)
    transform = jnp.broadcast_to(transform, (x.shape[0], 8)) if transform.ndim == 1 else transform
    coord_dtype = jnp.result_type(transform.dtype, jnp.float32)
    rows, cols = _output_grid(x.shape[1], x.shape[2], coord_dtype)
    t = [transform[:, i, None, None].astype(coord_dtype) for i in range(8)]  # each (batch, 1, 1)
    k = t[6] * cols + t[7] * rows + 1.0
    src_cols = (t[0] * cols + t[1] * rows + t[2]) / k
    src_rows = (t[3] * cols + t[4] * rows + t[5]) / k
    out = _sample(x, jax.lax.stop_gradient(src_rows), jax.lax.stop_gradient(src_cols), order, fill_mode, fill_value)
    return layout.from_batched_channels_last(out, data_format, unbatched)


def _check_points(points, name: str):
    if points.ndim not in (2, 3) or tuple(points.shape[-2:]) != (4, 2):
        raise ValueError(
            f"ops.image.perspective_transform: `{name}` must hold 4 (x, y) corners, shape (4, 2) or "
            f"(batch, 4, 2); received {name}.shape={tuple(points.shape)}."
        )


def _homographies(start_points, end_points):
    """(batch, 8) coefficients of the maps taking each end corner to its start corner."""
    sx, sy = start_points[..., 0], start_points[..., 1]  # each (batch, 4)
    ex, ey = end_points[..., 0], end_points[..., 1]
    zeros, ones = jnp.zeros_like(ex), jnp.ones_like(ex)
    # Each correspondence gives two linear equations in the 8 unknowns (h33 fixed at 1).
    x_rows = jnp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = jnp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    system = jnp.concatenate([x_rows, y_rows], axis=1)  # (batch, 8, 8)
    targets = jnp.concatenate([sx, sy], axis=-1)[..., None]
    return jnp.linalg.solve(system, targets)[..., 0]


@symbolic_op
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None):
    """Images warped so that the quadrilateral ``start_points`` lands on ``end_points``.

    Args:
        images: an image (rank 3) or a batch (rank 4).
        start_points, end_points: four ``(x, y)`` corners each, shape ``(4, 2)`` or ``(batch, 4, 2)``.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value outside the source image.
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    order = INTERPOLATION_ORDERS[
        layout.choice(interpolation, tuple(INTERPOLATION_ORDERS), "perspective_transform", "interpolation")
    ]
    data_format = layout.data_format(data_format, "perspective_transform")
    images = layout.images(images, "perspective_transform")
    start_points, end_points = convert_to_tensor(start_points), convert_to_tensor(end_points)
    _check_points(start_points, "start_points")
    _check_points(end_points, "end_points")
    if start_points.shape != end_points.shape:
        raise ValueError(
            "ops.image.perspective_transform: `start_points` and `end_points` must have equal shapes; "
            f"received {tuple(start_points.shape)} and {tuple(end_points.shape)}."
        )
    x, unbatched = layout.to_batched_channels_last(images, data_format)
    h = _homographies(
        jnp.broadcast_to(start_points.astype(jnp.float32), (x.shape[0], 4, 2)),
        jnp.broadcast_to(end_points.astype(jnp.float32), (x.shape[0], 4, 2)),
    )
    h = [h[:, i, None, None] for i in range(8)]
    rows, cols = _output_grid(x.shape[1], x.shape[2], jnp.float32)
    denominator = h[6] * cols + h[7] * rows + 1.0
    src_cols = (h[0] * cols + h[1] * rows + h[2]) / denominator
    src_rows = (h[3] * cols + h[4] * rows + h[5]) / denominator
    out = _sample(x, src_rows, src_cols, order, "constant", fill_value)
    return layout.from_batched_channels_last(out, data_format, unbatched)


@symbolic_op
def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Images displaced by smooth random fields: Gaussian noise blurred by ``sigma``, scaled by ``alpha``.

    Each pixel reads the input at ``(y + alpha * dy, x + alpha * dx)``, where ``dx``
    and ``dy`` are independent normal fields times ``sigma``, blurred with a
    Gaussian of ``sigma`` over a ``(int(6 sigma) | 1)``-pixel kernel. (Keras draws
    ``dx`` and ``dy`` from one key, so its displacements all point along the
    diagonal; loom draws them independently.)

    Args:
        images: an image (rank 3) or a batch (rank 4).
        alpha: the displacement scale in pixels.
        sigma: the smoothness of the displacement (a Python number).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest", "wrap" or "mirror".
        fill_value: the value outside the image when ``fill_mode="constant"``.
        seed: an int, a ``loom.random.SeedGenerator``, a JAX key, or None (the global stream).
        data_format: "channels_last" or "channels_first"; None uses ``loom.config.image_data_format()``.
    """
    order = INTERPOLATION_ORDERS[
        layout.choice(interpolation, tuple(INTERPOLATION_ORDERS), "elastic_transform", "interpolation")
    ]
    layout.choice(fill_mode, FILL_MODES, "elastic_transform", "fill_mode")
    data_format = layout.data_format(data_format, "elastic_transform")
    images = layout.images(images, "elastic_transform")
    x, unbatched = layout.to_batched_channels_last(images, data_format)
    batch, height, width, _ = x.shape
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32
    sigma = float(sigma)
    kernel = int(6 * sigma) | 1  # odd, about +-3 sigma
    key_x, key_y = jax.random.split(draw_key(seed))

    def field(key):
        noise = jax.random.normal(key, (batch, height, width, 1), dtype) * sigma
        blurred = gaussian_blur(noise, (kernel, kernel), (sigma, sigma), data_format="channels_last")
        return alpha * blurred[..., 0]

    rows, cols = _output_grid(height, width, dtype)
    out = _sample(x, rows + field(key_y), cols + field(key_x), order, fill_mode, fill_value)
    return layout.from_batched_channels_last(out.astype(x.dtype), data_format, unbatched)
