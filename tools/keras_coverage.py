"""Keras coverage: which public names of the installed Keras loom has, per namespace, and which it leaves out.

Run ``python tools/keras_coverage.py`` for a Markdown table (present / listed / total
per namespace). ``tests/test_keras_coverage.py`` fails when a Keras name is neither in
loom nor in ``LEFT_OUT`` below, and when a name in ``LEFT_OUT`` has arrived in loom,
so these lists only shrink as loom grows.
"""

import os

NAMESPACES = (
    "utils", "config", "metrics", "mixed_precision", "models", "datasets", "ops", "layers",
    "callbacks", "losses", "optimizers", "activations", "initializers", "wrappers", "applications",
    "distribution",
)  # fmt: skip


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
    "applications": {},
    "distribution": {},
    "metrics": {},
    "mixed_precision": {},
    "models": {},
    "datasets": {},
    "ops": {
    },
    "layers": {
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
