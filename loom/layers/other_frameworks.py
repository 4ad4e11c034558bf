"""TorchModuleWrapper and TFSMLayer: Keras's layers around PyTorch and TensorFlow models, which loom cannot run."""

from loom.layers.layer import Layer

_TORCH_MODULE = """\
TorchModuleWrapper runs a torch.nn.Module inside Keras's PyTorch backend; loom
runs on JAX, so it cannot call PyTorch modules. Write the module with loom
layers, or as a JAX function wrapped by JaxLayer; to keep trained weights,
convert the module's state_dict to arrays and pass them as JaxLayer params:

    params = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    layer = loom.layers.JaxLayer(call_fn=apply, params=params)   # apply(params, inputs)
"""

_SAVED_MODEL = """\
TFSMLayer calls a TensorFlow SavedModel ({filepath!r}): a TensorFlow graph only
TensorFlow can run, and loom runs on JAX. Load a Keras model file instead:
save it from Keras as `model.save("model.keras")` (or `.h5`) and open it with
`loom.models.load_model("model.keras")`.
"""


class TorchModuleWrapper(Layer):
    """Keras's wrapper of a ``torch.nn.Module``. loom runs on JAX: constructing one raises a
    ``NotImplementedError`` naming the replacements (loom layers, or ``JaxLayer`` with the
    module's weights as arrays).

    Args:
        module: the ``torch.nn.Module``.
        name: the layer's name.
        output_shape: the module's output shape, as Keras takes it.
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        raise NotImplementedError(_TORCH_MODULE)


class TFSMLayer(Layer):
    """Keras's layer around a TensorFlow SavedModel's endpoint. loom runs on JAX: constructing
    one raises a ``NotImplementedError`` saying to load a ``.keras`` or ``.h5`` model file with
    ``loom.models.load_model`` instead.

    Args:
        filepath: the SavedModel's folder.
        call_endpoint: the endpoint called in inference.
        call_training_endpoint: the endpoint called in training.
        trainable, name, dtype: as for any layer.
    """

    def __init__(
        self, filepath, call_endpoint="serve", call_training_endpoint=None, trainable=True, name=None, dtype=None
    ):
        # NotImplementedError, as Keras raises on every backend but TensorFlow.
        raise NotImplementedError(_SAVED_MODEL.format(filepath=filepath))
