"""SpectralNormalization: divides a wrapped layer's kernel by its largest singular value."""

import jax
import jax.numpy as jnp
import numpy as np

from loom import initializers
from loom.layers.input_spec import InputSpec
from loom.layers.wrapper import Wrapper
from loom.state.variable import Variable

_EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest norm a vector is divided by


def _l2_normalize(x):
    return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(x)), jnp.asarray(_EPSILON * _EPSILON, x.dtype)))


class SpectralNormalization(Wrapper):
    """Constrains the spectral norm of a wrapped layer's weights (Miyato et al., 2018), e.g. for GANs.

    The largest singular value ``sigma`` of the kernel (reshaped to
    ``(-1, last axis)``) is estimated by power iteration from a persistent
    vector ``vector_u`` (a non-trainable weight). As Keras: each call with
    ``training=True`` runs ``power_iterations`` steps, stores the new
    ``vector_u`` and assigns ``kernel / sigma`` to the wrapped layer's kernel
    before applying it (gradients flow through the division; ``u`` and ``v``
    are constants). Inside a compiled ``fit`` the trainable kernel is not
    carried over between steps, so the forward pass of every step uses the
    normalized kernel while the optimizer updates the raw one; inference calls
    use the kernel as it is. A kernel of all zeros is left unchanged.

    Args:
        layer: a layer with a ``kernel`` (Dense, Conv2D, EinsumDense, ...) or
            ``embeddings`` (Embedding) weight.
        power_iterations: power-iteration steps per training call, >= 1.

    Example:
        >>> layer = SpectralNormalization(Dense(10))
        >>> layer(np.ones((1, 4)), training=True).shape
        (1, 10)
    """

    def __init__(self, layer, power_iterations: int = 1, **kwargs):
        super().__init__(layer, **kwargs)
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, (int, np.integer))
            or power_iterations <= 0
        ):
            raise ValueError(
                f"{self.describe()}: `power_iterations` must be a positive int; "
                f"received power_iterations={power_iterations!r}."
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if not isinstance(kernel, Variable):
            kernel = getattr(self.layer, "embeddings", None)
        if not isinstance(kernel, Variable):
            raise ValueError(  # noqa: TRY004 - the type Keras raises here
                f"{self.describe()} needs a layer with a `kernel` or `embeddings` weight (Dense, Conv2D, "
                f"Embedding, ...); received {type(self.layer).__name__} '{self.layer.name}', which has neither."
            )
        # The wrapped layer's variable, also owned here as in Keras: weights are [kernel, vector_u, others].
        self.kernel = kernel
        self.kernel_shape = kernel.shape
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            dtype=kernel.dtype,
        )

    def call(self, inputs, training=False):
        if training:
            kernel, vector_u = self.kernel.value, self.vector_u.value
            new_u, new_kernel = jax.lax.cond(jnp.all(kernel == 0), lambda: (vector_u, kernel), self.normalized_weights)
            self.vector_u.assign(new_u)
            self.kernel.assign(new_kernel)
        outputs = self.layer(inputs)
        # Keras casts to the inputs' dtype, which turns an Embedding's vectors into integer ids' dtype;
        # loom casts only floating inputs' results.
        return outputs.astype(inputs.dtype) if jnp.issubdtype(inputs.dtype, jnp.floating) else outputs

    def normalized_weights(self):
        """``(new vector_u, kernel / sigma)`` after ``power_iterations`` power-iteration steps."""
        kernel = self.kernel.value
        weights = jnp.reshape(kernel, (-1, self.kernel_shape[-1]))  # (n, out)
        vector_u = self.vector_u.value  # (1, out)
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(vector_u @ weights.T)  # (1, n)
            vector_u = _l2_normalize(vector_v @ weights)
        vector_u, vector_v = jax.lax.stop_gradient(vector_u), jax.lax.stop_gradient(vector_v)
        sigma = (vector_v @ weights) @ vector_u.T  # (1, 1)
        new_kernel = jnp.reshape(kernel / sigma, self.kernel_shape)
        return vector_u.astype(self.vector_u.dtype), new_kernel.astype(kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
