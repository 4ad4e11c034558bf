"""Bounding boxes for the image layers: conversions between Keras's box formats and clipping to an image.

Boxes are dense arrays ``(..., n, 4)`` inside a dict ``{"boxes": ..., "labels": ...}``; every
conversion goes through "xyxy" (pixel corners: left, top, right, bottom).
"""

import jax.numpy as jnp


def _split(boxes):
    return [boxes[..., i : i + 1] for i in range(4)]


def _join(*parts):
    return jnp.concatenate(parts, axis=-1)


def _to_xyxy(boxes, source, height, width):
    a, b, c, d = _split(boxes)
    if source == "xyxy":
        return boxes
    if source == "yxyx":
        return _join(b, a, d, c)
    if source == "xywh":
        return _join(a, b, a + c, b + d)
    if source == "center_xywh":
        return _join(a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    if source == "center_yxhw":
        return _join(b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)
    if source == "rel_xyxy":
        return _join(a * width, b * height, c * width, d * height)
    if source == "rel_yxyx":
        return _join(b * width, a * height, d * width, c * height)
    if source == "rel_xywh":
        return _join(a * width, b * height, (a + c) * width, (b + d) * height)
    # rel_center_xywh
    return _join((a - c / 2.0) * width, (b - d / 2.0) * height, (a + c / 2.0) * width, (b + d / 2.0) * height)


def _from_xyxy(boxes, target, height, width):
    x1, y1, x2, y2 = _split(boxes)
    box_w, box_h = x2 - x1, y2 - y1
    center_x, center_y = x1 + box_w / 2.0, y1 + box_h / 2.0
    if target == "xyxy":
        return boxes
    if target == "yxyx":
        return _join(y1, x1, y2, x2)
    if target == "xywh":
        return _join(x1, y1, box_w, box_h)
    if target == "center_xywh":
        return _join(center_x, center_y, box_w, box_h)
    if target == "center_yxhw":
        return _join(center_y, center_x, box_h, box_w)
    if target == "rel_xyxy":
        return _join(x1 / width, y1 / height, x2 / width, y2 / height)
    if target == "rel_yxyx":
        return _join(y1 / height, x1 / width, y2 / height, x2 / width)
    if target == "rel_xywh":
        return _join(x1 / width, y1 / height, box_w / width, box_h / height)
    # rel_center_xywh
    return _join(center_x / width, center_y / height, box_w / width, box_h / height)


FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def check_format(layer, bounding_box_format):
    if bounding_box_format is not None and bounding_box_format not in FORMATS:
        raise ValueError(
            f"{layer.describe()}: unknown `bounding_box_format` {bounding_box_format!r}; expected one of {FORMATS}."
        )
    return bounding_box_format


def convert_format(bounding_boxes, source, target, height, width):
    """``bounding_boxes`` (a dict) with its boxes converted from ``source`` to ``target`` format."""
    boxes = jnp.asarray(bounding_boxes["boxes"])
    if not jnp.issubdtype(boxes.dtype, jnp.floating):
        boxes = boxes.astype("float32")
    if source != target:
        boxes = _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)
    return {**bounding_boxes, "boxes": boxes}


def clip_to_image_size(bounding_boxes, height, width):
    """xyxy boxes clipped to ``[0, width] x [0, height]``; labels of boxes left with no area become -1."""
    x1, y1, x2, y2 = _split(bounding_boxes["boxes"])
    boxes = _join(jnp.clip(x1, 0, width), jnp.clip(y1, 0, height), jnp.clip(x2, 0, width), jnp.clip(y2, 0, height))
    result = {**bounding_boxes, "boxes": boxes}
    if "labels" in bounding_boxes:
        area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
        result["labels"] = jnp.where(area > 0, jnp.asarray(bounding_boxes["labels"]), -1)
    return result
