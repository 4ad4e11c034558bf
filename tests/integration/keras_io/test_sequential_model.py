"""keras.io guide "The Sequential model" (guides/sequential_model.py).

Building by list and by add/pop, deferred weights, summaries of a growing conv
stack, feature extraction through `layer.output`, and freezing all layers but
the last. Images are 250x250x3 as in the guide; only a batch of one goes through.
"""

import numpy as np


def test_a_sequential_model_is_its_layers_called_in_turn(keras):
    layers, ops = keras.layers, keras.ops
    # Define Sequential model with 3 layers
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    # Call model on a test input
    x = ops.ones((3, 3))
    y = model(x)
    assert tuple(y.shape) == (3, 4)

    layer1, layer2, layer3 = model.layers
    np.testing.assert_allclose(np.asarray(layer3(layer2(layer1(x)))), np.asarray(y), rtol=1e-6)
    assert [layer.name for layer in model.layers] == ["layer1", "layer2", "layer3"]


def test_add_pop_and_name(keras):
    layers = keras.layers
    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))

    model.pop()
    print(len(model.layers))  # 2
    assert len(model.layers) == 2

    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    assert model.name == "my_sequential"
    assert [layer.name for layer in model.layers] == ["layer1", "layer2", "layer3"]


def test_weights_are_created_on_first_call(keras):
    layers, ops = keras.layers, keras.ops
    layer = layers.Dense(3)
    assert layer.weights == []  # Empty

    # Call layer on a test input
    x = ops.ones((1, 4))
    y = layer(x)
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]

    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )  # No weights at this stage!

    # Call the model on a test input
    x = ops.ones((1, 4))
    y = model(x)
    print("Number of weights after calling the model:", len(model.weights))  # 6
    assert len(model.weights) == 6
    model.summary()


def test_input_object_gives_shapes_and_summary_from_the_start(keras, capsys):
    layers = keras.layers
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))

    model.summary()
    assert "(None, 2)" in capsys.readouterr().out
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"]  # the Input is not a layer here
    assert len(model.weights) == 2


def test_add_and_summary_follow_a_growing_conv_stack(keras, capsys):
    layers = keras.layers
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))

    # Can you guess what the current output shape is at this point? Probably not.
    # Let's just print it:
    model.summary()
    assert "(None, 40, 40, 32)" in capsys.readouterr().out

    # The answer was: (40, 40, 32), so we can keep downsampling...

    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))

    # And now?
    model.summary()
    assert "(None, 4, 4, 32)" in capsys.readouterr().out

    # Now that we have 4x4 feature maps, time to apply global max pooling.
    model.add(layers.GlobalMaxPooling2D())

    # Finally, we add a classification layer.
    model.add(layers.Dense(10))
    assert model.predict(np.zeros((1, 250, 250, 3)), verbose=0).shape == (1, 10)


def test_feature_extraction_with_layer_outputs(keras):
    layers, ops = keras.layers, keras.ops
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=[layer.output for layer in initial_model.layers],
    )

    # Call feature extractor on test input.
    x = ops.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    assert [tuple(f.shape) for f in features] == [(1, 123, 123, 32), (1, 121, 121, 32), (1, 119, 119, 32)]
    np.testing.assert_allclose(np.asarray(features[-1]), np.asarray(initial_model(x)), rtol=1e-5, atol=1e-6)

    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    # Call feature extractor on test input.
    x = ops.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    assert tuple(features.shape) == (1, 121, 121, 32)
    assert len(feature_extractor.weights) == 4  # the third convolution is not part of it


def test_freezing_all_layers_but_the_last(keras):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(10),
        ]
    )

    # Presumably you would want to first load pre-trained weights.
    pretrained = [w.copy() for w in model.get_weights()]

    # Freeze all layers except the last one.
    for layer in model.layers[:-1]:
        layer.trainable = False

    # Recompile and train (this will only update the weights of the last layer).
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    model.fit(rng.random((64, 784)).astype("float32"), rng.integers(0, 10, size=(64,)), epochs=1, verbose=0)

    after = model.get_weights()
    for before, now in zip(pretrained[:-2], after[:-2]):
        np.testing.assert_array_equal(before, now)
    assert not np.allclose(pretrained[-2], after[-2])
