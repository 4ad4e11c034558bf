"""ImageNet helpers shared by the application models: pixel preprocessing, decoding class scores,
and the input-shape and padding rules of Keras's application constructors.

``preprocess_input`` comes in three modes, one per way the published weights were trained:
``"caffe"`` (RGB to BGR, then minus the ImageNet channel means, no scaling), ``"tf"`` (pixels
scaled to [-1, 1]) and ``"torch"`` (pixels scaled to [0, 1], then standardised per channel).
"""

import json
import warnings

import numpy as np

from loom import activations, ops
from loom.config.defaults import floatx, image_data_format
from loom.utils.file_download import get_file

CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# The ImageNet statistics each mode subtracts (and divides by), in the channel order the mode
# leaves the image in: caffe's means are for BGR.
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)

_MODES = ("caffe", "tf", "torch")

# {str(index): [wordnet_id, description]}, read once per process as Keras does.
_class_index = None


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of images (values in [0, 255]) the way an ImageNet model's weights expect.

    Args:
        x: a float NumPy array, JAX array or symbolic tensor, 3D or 4D, with 3 colour channels.
            A float NumPy array is modified in place, as in Keras; pass ``np.copy(x)`` to keep it.
        data_format: ``"channels_last"`` or ``"channels_first"``; None uses
            ``loom.config.image_data_format()``.
        mode: ``"caffe"``, ``"tf"`` or ``"torch"`` (see the module docstring).

    Returns:
        The preprocessed images, a NumPy array for NumPy input, else a tensor.

    Raises:
        ValueError: an unknown ``mode`` or ``data_format``.

    Example:
        >>> preprocess_input(np.full((1, 2, 2, 3), 255.0), mode="tf")[0, 0, 0]
        array([1., 1., 1.])
    """
    if mode not in _MODES:
        raise ValueError(f"preprocess_input: `mode` must be one of {_MODES}; received mode={mode!r}.")
    if data_format is None:
        data_format = image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "preprocess_input: `data_format` must be 'channels_first' or 'channels_last'; "
            f"received data_format={data_format!r}."
        )
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_shape(ndim: int, data_format: str) -> tuple:
    """The shape that broadcasts a per-channel vector over an image batch of rank ``ndim``."""
    if data_format == "channels_last":
        return (1,) * (ndim - 1) + (3,)
    return (3,) + (1,) * (ndim - 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _preprocess_array(x, data_format: str, mode: str):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = np.flip(x, axis)  # RGB -> BGR, a view: the subtraction below still writes in place
        mean, std = _CAFFE_MEAN, None
    x -= np.asarray(mean, x.dtype).reshape(_channel_shape(x.ndim, data_format))
    if std is not None:
        x /= np.asarray(std, x.dtype).reshape(_channel_shape(x.ndim, data_format))
    return x


def _preprocess_tensor(x, data_format: str, mode: str):
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = ops.flip(x, axis=_channel_axis(ndim, data_format))
        mean, std = _CAFFE_MEAN, None
    shape = _channel_shape(ndim, data_format)
    x = x - ops.reshape(ops.convert_to_tensor(np.asarray(mean), dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=x.dtype), shape)
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds``, best first.

    The class names come from Keras's ``imagenet_class_index.json``, fetched once through
    ``loom.utils.get_file`` into ``<cache>/models``.

    Args:
        preds: scores of shape ``(samples, 1000)`` (a NumPy or JAX array).
        top: how many classes to return per sample.

    Returns:
        One list per sample of ``(class_name, class_description, score)`` tuples.

    Raises:
        ValueError: ``preds`` is not of shape ``(samples, 1000)``.
    """
    global _class_index
    shape = tuple(np.shape(preds))
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of ImageNet scores, an array of shape (samples, 1000); "
            f"received an array of shape {shape}. Pass the output of a model built with classes=1000."
        )
    if _class_index is None:
        path = get_file(
            "imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models", file_hash=CLASS_INDEX_HASH
        )
        with open(path, encoding="utf-8") as f:
            _class_index = json.load(f)
    results = []
    for row in np.asarray(preds):
        best = row.argsort()[-top:][::-1]
        decoded = [(*_class_index[str(i)], row[i]) for i in best]
        decoded.sort(key=lambda entry: entry[2], reverse=True)
        results.append(decoded)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The image shape (without the batch dimension) an application model is built for.

    Args:
        input_shape: None (the default shape) or a 3-tuple given by the user, checked here.
        default_size: the side length the model was designed (and its weights trained) for.
        min_size: the smallest side length the architecture accepts.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        require_flatten: whether the classifier follows (``include_top=True``): the shape must be static.
        weights: None, ``"imagenet"`` or a file path; ImageNet weights need 3 channels.

    Raises:
        ValueError: a shape that is not 3 integers, of another channel count or size than the
            weights allow, smaller than ``min_size``, or with None entries under a classifier.
    """
    channels_last = data_format != "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if channels_last else input_shape[0]
        if channels not in (1, 3):
            warnings.warn(
                f"This model usually expects 1 or 3 input channels; input_shape={tuple(input_shape)} has {channels}.",
                stacklevel=3,
            )
        default_shape = (default_size, default_size, channels) if channels_last else (channels,) + (default_size,) * 2
    else:
        default_shape = (default_size, default_size, 3) if channels_last else (3, default_size, default_size)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                f"With include_top=True and weights='imagenet', input_shape must be {default_shape}, the shape "
                f"the classifier was trained on; received input_shape={input_shape}. Pass include_top=False "
                "to use other sizes."
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                f"`input_shape` must be a tuple of three integers (rows, cols, channels); received {input_shape}."
            )
        channels, sides = (input_shape[-1], input_shape[:2]) if channels_last else (input_shape[0], input_shape[1:])
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"ImageNet weights need 3 input channels; received input_shape={input_shape}. "
                "Pass weights=None to train on other images."
            )
        if any(side is not None and side < min_size for side in sides):
            raise ValueError(
                f"This model needs images of at least {min_size}x{min_size}; received input_shape={input_shape}."
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3) if channels_last else (3, None, None)
    if require_flatten and None in input_shape:
        raise ValueError(
            "With include_top=True the classifier needs a static input_shape; "
            f"received input_shape={input_shape}. Give every size, or pass include_top=False."
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding that makes a stride-2 'valid' convolution match TensorFlow's 'same'.

    Args:
        inputs: the symbolic tensor about to be padded.
        kernel_size: an int or a pair of ints.

    Returns:
        ``((top, bottom), (left, right))``.
    """
    first = 2 if image_data_format() == "channels_first" else 1
    size = inputs.shape[first : first + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Refuse a classifier activation other than softmax or None when pretrained weights are loaded.

    Raises:
        ValueError: another activation with ``weights`` not None.
    """
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "With pretrained weights, classifier_activation must be 'softmax' or None (the weights were "
            f"trained with softmax); received classifier_activation={classifier_activation!r}."
        )
