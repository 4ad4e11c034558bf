"""keras.io guide "Understanding masking & padding" (guides/understanding_masking_and_padding.py).

pad_sequences, the masks Embedding(mask_zero=True) and Masking attach to their
outputs, masks reaching an LSTM in Sequential and functional models and by hand,
and custom layers that split, make, pass on or consume a mask.
"""

import numpy as np

raw_inputs = [
    [711, 632, 71],
    [73, 8, 3215, 55, 927],
    [83, 91, 1, 645, 1253, 927],
]
expected_mask = np.array(
    [
        [True, True, True, False, False, False],
        [True, True, True, True, True, False],
        [True, True, True, True, True, True],
    ]
)


def padded(keras):
    # By default, this will pad using 0s; it is configurable via the
    # "value" parameter.
    # Note that you could use "pre" padding (at the beginning) or
    # "post" padding (at the end).
    padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
    print(padded_inputs)
    return padded_inputs


def test_pad_sequences_pads_at_the_end(keras):
    padded_inputs = padded(keras)
    np.testing.assert_array_equal(
        padded_inputs,
        [[711, 632, 71, 0, 0, 0], [73, 8, 3215, 55, 927, 0], [83, 91, 1, 645, 1253, 927]],
    )


def test_embedding_and_masking_attach_masks_to_their_outputs(keras):
    layers, ops = keras.layers, keras.ops
    padded_inputs = np.array([row + [0] * (6 - len(row)) for row in raw_inputs], dtype="int32")

    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)

    print(masked_output._keras_mask)
    np.testing.assert_array_equal(np.asarray(masked_output._keras_mask), expected_mask)

    masking_layer = layers.Masking()
    # Simulate the embedding lookup by expanding the 2D input to 3D,
    # with embedding dimension of 10.
    unmasked_embedding = ops.cast(
        ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]),
        dtype="float32",
    )

    masked_embedding = masking_layer(unmasked_embedding)
    print(masked_embedding._keras_mask)
    np.testing.assert_array_equal(np.asarray(masked_embedding._keras_mask), expected_mask)

    class TemporalSplit(keras.layers.Layer):
        """Split the input tensor into 2 tensors along the time dimension."""

        def call(self, inputs):
            # Expect the input to be 3D and mask to be 2D, split the input tensor into 2
            # subtensors along the time axis (axis 1).
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            # Also split the mask into 2 if it presents.
            if mask is None:
                return None
            return ops.split(mask, 2, axis=1)

    first_half, second_half = TemporalSplit()(masked_embedding)
    print(first_half._keras_mask)
    print(second_half._keras_mask)
    np.testing.assert_array_equal(np.asarray(first_half._keras_mask), expected_mask[:, :3])
    np.testing.assert_array_equal(np.asarray(second_half._keras_mask), expected_mask[:, 3:])


def test_masks_reach_the_lstm_in_sequential_and_functional_models(keras):
    layers = keras.layers
    padded_inputs = np.array([row + [0] * (6 - len(row)) for row in raw_inputs], dtype="int32")

    model = keras.Sequential(
        [
            layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True),
            layers.LSTM(32),
        ]
    )
    outputs = np.asarray(model(padded_inputs))
    # The padded steps are skipped: the first sequence ends where its 3 words end.
    embedding, lstm = model.layers
    unpadded = np.asarray(lstm(embedding(padded_inputs[:1, :3])))
    np.testing.assert_allclose(outputs[0], unpadded[0], rtol=1e-5, atol=1e-6)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)

    model = keras.Model(inputs, outputs)
    predictions = model.predict(padded_inputs, verbose=0)
    np.testing.assert_allclose(predictions[1], model.predict(padded_inputs[1:2, :5], verbose=0)[0], rtol=1e-5, atol=1e-6)


def test_passing_a_mask_by_hand_inside_a_custom_layer(keras):
    layers = keras.layers

    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(32)

        def call(self, inputs):
            x = self.embedding(inputs)
            # Note that you could also prepare a `mask` tensor manually.
            # It only needs to be a boolean tensor
            # with the right shape, i.e. (batch_size, timesteps).
            mask = self.embedding.compute_mask(inputs)
            output = self.lstm(x, mask=mask)  # The layer will ignore the masked values
            return output

    layer = MyLayer()
    x = np.random.default_rng(0).random((32, 10)) * 100
    x = x.astype("int32")
    x[:, 6:] = 0  # padding after six words
    out = np.asarray(layer(x))
    assert out.shape == (32, 32)
    np.testing.assert_allclose(out, np.asarray(layer.lstm(layer.embedding(x[:, :6]))), rtol=1e-5, atol=1e-6)


def test_custom_embedding_computes_its_mask(keras):
    ops = keras.ops

    class CustomEmbedding(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.mask_zero = mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim),
                initializer="random_normal",
                dtype="float32",
            )

        def call(self, inputs):
            inputs = ops.cast(inputs, "int32")
            # axis=0: the guide's ops.take without an axis looks up the flattened table.
            return ops.take(self.embeddings, inputs, axis=0)

        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return ops.not_equal(inputs, 0)

    layer = CustomEmbedding(10, 32, mask_zero=True)
    x = np.random.default_rng(0).random((3, 10)) * 9
    x = x.astype("int32")

    y = layer(x)
    mask = layer.compute_mask(x)

    print(mask)
    assert tuple(y.shape) == (3, 10, 32)
    np.testing.assert_array_equal(np.asarray(mask), x != 0)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), x != 0)  # attached to the output too


def test_custom_layers_pass_on_and_consume_masks(keras):
    layers, ops = keras.layers, keras.ops
    rng = np.random.default_rng(0)

    class MyActivation(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # Signal that the layer is safe for mask propagation
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)  # Will pass the mask along
    print("Mask found:", x._keras_mask)
    assert x._keras_mask is not None
    outputs = layers.LSTM(32)(x)  # Will receive the mask

    model = keras.Model(inputs, outputs)
    tokens = rng.integers(1, 5000, size=(32, 100))
    tokens[:, 60:] = 0
    y = model(tokens)
    np.testing.assert_allclose(np.asarray(y), np.asarray(model(tokens[:, :60])), rtol=1e-5, atol=1e-6)

    class TemporalSoftmax(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
            inputs_exp = ops.exp(inputs) * broadcast_float_mask
            # Summed over the time axis, as the guide says (its code sums over axis=-1,
            # which for this (batch, time, 1) input divides each value by itself).
            inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=1, keepdims=True)
            return inputs_exp / inputs_sum

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)

    model = keras.Model(inputs, outputs)
    tokens = rng.integers(0, 10, size=(32, 100))
    y = np.asarray(model(tokens))
    assert y.shape == (32, 100, 1)
    np.testing.assert_array_equal(y[tokens == 0], 0.0)  # masked steps get no weight
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
