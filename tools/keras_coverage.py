"""Keras coverage: which public names of the installed Keras loom has, per namespace, and which it leaves out.

Run ``python tools/keras_coverage.py`` for a Markdown table (present / listed / total
per namespace). ``tests/test_keras_coverage.py`` fails when a Keras name is neither in
loom nor in ``LEFT_OUT`` below, and when a name in ``LEFT_OUT`` has arrived in loom,
so these lists only shrink as loom grows.
"""

import os

NAMESPACES = (
    "utils", "config", "metrics", "mixed_precision", "models", "datasets", "ops", "layers",
    "callbacks", "losses", "optimizers", "activations", "initializers", "wrappers",
)  # fmt: skip

_IMAGE_AUGMENTATION = "issue 10: image augmentation layers"
_IMAGE_PREPROCESSING = "issue 10: image preprocessing layers"
_FEATURE_PREPROCESSING = "issue 10: feature preprocessing layers (lookup, hashing, discretization)"
_AUDIO = "issue 10: audio preprocessing layers"

# One dict per namespace: Keras name -> why loom leaves it out (for now).
LEFT_OUT = {
    "utils": {
        "FeatureSpace": "issue 10: built on the feature preprocessing layers",
        "audio_dataset_from_directory": "TensorFlow-only: Keras decodes the audio files with tf.audio",
        "bounding_boxes": "issue 10: bounding-box utilities of the image augmentation layers",
        "legacy": "TensorFlow-only: tf.keras (Keras 2) serialization helpers",
    },
    "config": {},
    "wrappers": {},
    "metrics": {},
    "mixed_precision": {},
    "models": {},
    "datasets": {},
    "ops": {
    },
    "layers": {
        "AugMix": _IMAGE_AUGMENTATION,
        "AutoContrast": _IMAGE_AUGMENTATION,
        "CenterCrop": _IMAGE_PREPROCESSING,
        "ContrastLimitedAdaptiveHistogramEqualization": _IMAGE_AUGMENTATION,
        "ConvLSTM1D": "issue 10: ConvLSTM in 1 and 3 dimensions (ConvLSTM2D exists)",
        "ConvLSTM3D": "issue 10: ConvLSTM in 1 and 3 dimensions (ConvLSTM2D exists)",
        "CutMix": _IMAGE_AUGMENTATION,
        "EinsumDense": "issue 10: EinsumDense",
        "Equalization": _IMAGE_AUGMENTATION,
        "FlaxLayer": "issue 10: wrappers of Flax modules and JAX functions",
        "GroupQueryAttention": "issue 10: grouped-query attention",
        "JaxLayer": "issue 10: wrappers of Flax modules and JAX functions",
        "MaxNumBoundingBoxes": _IMAGE_AUGMENTATION,
        "MelSpectrogram": _AUDIO,
        "MixUp": _IMAGE_AUGMENTATION,
        "Pipeline": _IMAGE_AUGMENTATION,
        "RandAugment": _IMAGE_AUGMENTATION,
        "RandomBrightness": _IMAGE_AUGMENTATION,
        "RandomColorDegeneration": _IMAGE_AUGMENTATION,
        "RandomColorJitter": _IMAGE_AUGMENTATION,
        "RandomContrast": _IMAGE_AUGMENTATION,
        "RandomCrop": _IMAGE_AUGMENTATION,
        "RandomElasticTransform": _IMAGE_AUGMENTATION,
        "RandomErasing": _IMAGE_AUGMENTATION,
        "RandomFlip": _IMAGE_AUGMENTATION,
        "RandomGaussianBlur": _IMAGE_AUGMENTATION,
        "RandomGrayscale": _IMAGE_AUGMENTATION,
        "RandomHue": _IMAGE_AUGMENTATION,
        "RandomInvert": _IMAGE_AUGMENTATION,
        "RandomPerspective": _IMAGE_AUGMENTATION,
        "RandomPosterization": _IMAGE_AUGMENTATION,
        "RandomRotation": _IMAGE_AUGMENTATION,
        "RandomSaturation": _IMAGE_AUGMENTATION,
        "RandomSharpness": _IMAGE_AUGMENTATION,
        "RandomShear": _IMAGE_AUGMENTATION,
        "RandomTranslation": _IMAGE_AUGMENTATION,
        "RandomZoom": _IMAGE_AUGMENTATION,
        "Resizing": _IMAGE_PREPROCESSING,
        "ReversibleEmbedding": "issue 10: ReversibleEmbedding",
        "STFTSpectrogram": _AUDIO,
        "Solarization": _IMAGE_AUGMENTATION,
        "SpectralNormalization": "issue 10: SpectralNormalization (a layer wrapper)",
        "TFSMLayer": "TensorFlow-only: loads TensorFlow SavedModels",
        "TorchModuleWrapper": "PyTorch-only: wraps torch.nn.Module",
        "Wrapper": "issue 10: the abstract base of layer wrappers",
    },
    "callbacks": {
        "OrbaxCheckpoint": "needs orbax-checkpoint, not a dependency; ModelCheckpoint and BackupAndRestore cover it",
    },
    "losses": {},
    "optimizers": {
        "legacy": "Keras 2 optimizers: Keras 3 itself raises ImportError when one is made",
    },
    "activations": {},
    "initializers": {},
}


def keras_public_names(keras, namespace: str) -> list:
    """The public names of ``keras.<namespace>``: classes, functions and submodules, sorted."""
    return sorted(name for name in dir(getattr(keras, namespace)) if not name.startswith("_"))


def coverage(keras, loom) -> list:
    """One dict per namespace: ``namespace``, ``present``, ``listed``, ``total``, and the mismatches
    ``unaccounted`` (in Keras, not in loom, not listed) and ``arrived`` (listed, yet in loom)."""
    rows = []
    for namespace in NAMESPACES:
        names = keras_public_names(keras, namespace)
        ours = getattr(loom, namespace)
        left_out = LEFT_OUT[namespace]
        present = [name for name in names if hasattr(ours, name)]
        rows.append(
            {
                "namespace": namespace,
                "present": len(present),
                "listed": sum(name in left_out for name in names),
                "total": len(names),
                "unaccounted": [name for name in names if name not in present and name not in left_out],
                "arrived": [name for name in left_out if hasattr(ours, name)],
            }
        )
    return rows


def format_table(rows: list, keras_version: str) -> str:
    """The coverage as a Markdown table, with a total row."""
    lines = [
        f"| namespace (Keras {keras_version}) | in loom | left out (listed) | Keras names | coverage |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows + [_total(rows)]:
        share = 100.0 * row["present"] / row["total"] if row["total"] else 100.0
        name = row["namespace"] if row["namespace"] == "total" else f"`keras.{row['namespace']}`"
        lines.append(f"| {name} | {row['present']} | {row['listed']} | {row['total']} | {share:.0f}% |")
    return "\n".join(lines)


def _total(rows: list) -> dict:
    return {"namespace": "total", **{key: sum(row[key] for row in rows) for key in ("present", "listed", "total")}}


def main() -> None:
    os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras defaults to TensorFlow, which is not installed
    import keras

    import loom

    rows = coverage(keras, loom)
    print(format_table(rows, keras.__version__))
    for row in rows:
        if row["unaccounted"]:
            print(f"keras.{row['namespace']}: not in loom and not listed: {row['unaccounted']}")
        if row["arrived"]:
            print(f"keras.{row['namespace']}: listed as left out but now in loom: {row['arrived']}")


if __name__ == "__main__":
    main()
