"""ContrastLimitedAdaptiveHistogramEqualization (CLAHE): histogram equalization per tile, with the
histograms clipped to limit noise, blended bilinearly between tiles."""

import jax
import jax.numpy as jnp

from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer, is_number

_LEVELS = 256


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast-limited adaptive histogram equalization; deterministic, so it runs in training and inference.

    The image is cut into a ``tile_grid_size`` grid; each tile's 256-level
    histogram is clipped at ``clip_limit`` times the mean bin count (the excess
    spread evenly over all bins) and turned into an equalizing lookup table.
    Each pixel blends the tables of its four nearest tile centres bilinearly.

    Args:
        value_range: the images' ``(low, high)``; values are mapped to [0, 255] for the histograms.
        clip_limit: the histogram clip, as a multiple of the mean bin count; 0 or less disables it.
        tile_grid_size: the number of tiles ``(rows, columns)``.
        data_format: "channels_last" or "channels_first".

    Results come back in the input's dtype, as in Keras.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        # Keras keeps value_range and tile_grid_size as given (its config writes them back so);
        # the maths reads the checked copies.
        self.value_range = value_range
        self._value_range = self._check_value_range(value_range)
        if not is_number(clip_limit):
            raise ValueError(f"{self.describe()}: `clip_limit` must be a number; received clip_limit={clip_limit!r}.")
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else ()
        if len(grid) != 2 or not all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in grid):
            raise ValueError(
                f"{self.describe()}: `tile_grid_size` must be a pair of positive ints (rows, columns); "
                f"received tile_grid_size={tile_grid_size!r}."
            )
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self._tile_grid_size = grid

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images)
        dtype = images.dtype
        if self.data_format == "channels_first":
            images = jnp.moveaxis(images, -3, -1)
        x = self._transform_value_range(images.astype("float32"), self._value_range, (0, 255), dtype="float32")
        x = self._transform_value_range(self._equalize(x), (0, 255), self._value_range, dtype="float32")
        if self.data_format == "channels_first":
            x = jnp.moveaxis(x, -1, -3)
        return x.astype(dtype)

    def _tables(self, padded, tile_h, tile_w):
        """Each tile's equalizing lookup table: ``(batch, grid_h, grid_w, channels, 256)`` in [0, 255]."""
        batch, _, _, channels = padded.shape
        grid_h, grid_w = self._tile_grid_size
        tiles = jnp.reshape(padded, (batch, grid_h, tile_h, grid_w, tile_w, channels))
        tiles = jnp.transpose(tiles, (0, 1, 3, 5, 2, 4)).reshape(batch, grid_h, grid_w, channels, tile_h * tile_w)
        levels = jnp.clip(tiles.astype("int32"), 0, _LEVELS - 1)
        histograms = jnp.sum(jax.nn.one_hot(levels, _LEVELS, dtype="float32"), axis=-2)
        if self.clip_limit > 0:
            limit = self.clip_limit * tile_h * tile_w / _LEVELS
            clipped = jnp.minimum(histograms, limit)
            histograms = clipped + jnp.sum(histograms - clipped, axis=-1, keepdims=True) / _LEVELS
        cdf = jnp.cumsum(histograms, axis=-1)
        cdf_min = jnp.min(cdf, axis=-1, keepdims=True)
        denominator = tile_h * tile_w - cdf_min
        denominator = jnp.where(denominator == 0, 1.0, denominator)
        return jnp.clip((cdf - cdf_min) * 255.0 / denominator, 0, 255)

    def _equalize(self, images):
        batch, height, width, channels = images.shape
        grid_h, grid_w = self._tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
        padded = jnp.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
        tables = self._tables(padded, tile_h, tile_w)
        # One table of border padding on each side, so pixels beyond the outer tile centres use the edge tables.
        tables = jnp.pad(tables, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

        def neighbours(size, tile, grid):
            position = (jnp.arange(size, dtype="float32") - tile / 2.0) / tile + 1.0  # in padded-grid units
            low = jnp.floor(position)
            weight = position - low
            return (jnp.clip(low, 0, grid + 1).astype("int32"), jnp.clip(low + 1, 0, grid + 1).astype("int32"), weight)

        y0, y1, wy = neighbours(padded.shape[1], tile_h, grid_h)
        x0, x1, wx = neighbours(padded.shape[2], tile_w, grid_w)
        b = jnp.arange(batch)[:, None, None, None]
        c = jnp.arange(channels)[None, None, None, :]
        pixels = jnp.clip(padded, 0, _LEVELS - 1).astype("int32")  # (B, Hp, Wp, C)

        def lookup(rows, cols):
            return tables[b, rows[None, :, None, None], cols[None, None, :, None], c, pixels]

        wx, wy = wx[None, None, :, None], wy[None, :, None, None]
        top = lookup(y0, x0) * (1.0 - wx) + lookup(y0, x1) * wx
        bottom = lookup(y1, x0) * (1.0 - wx) + lookup(y1, x1) * wx
        return (top * (1.0 - wy) + bottom * wy)[:, :height, :width, :]

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return segmentation_masks
