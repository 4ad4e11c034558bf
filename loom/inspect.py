"""``python -m loom.inspect FILE``: what a saved model holds, without building any of it.

It reads the archive (loom's ``.loom`` format, or Keras 3's ``.keras`` format,
whose weights' shapes come from the HDF5 file's checked structure) with the
same checks as ``load_model`` and prints the
metadata, the compile settings, a table of layers from ``config.json`` (class,
output shape, parameters counted from the weights file's header, inputs), the
stored arrays, each tensor's SHA-256 checked against the digest recorded when
the file was written (and which tensors hold NaN or Inf), and any Lambda
source (shown as text, never run). No class is looked up, no layer is
created, no code in the file is evaluated, so it is safe on files from
anywhere. The command exits with status 1 when a tensor fails its digest.
"""

import argparse
import hashlib
import json
import math
import sys

from loom.saving import archive as archive_module
from loom.saving import integrity, keras_archive
from loom.saving.errors import SavingError
from loom.saving.hdf5_safety import open_hdf5


def _shape(shape) -> str:
    if not isinstance(shape, list):
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _tensors(value, found: list) -> list:
    if isinstance(value, list):
        for item in value:
            _tensors(item, found)
    elif isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__" and isinstance(value.get("config"), dict):
            found.append(value["config"])
        else:
            for item in value.values():
                _tensors(item, found)
    return found


def _sources(value, found: list, where: str = "") -> list:
    if isinstance(value, list):
        for item in value:
            _sources(item, found, where)
    elif isinstance(value, dict):
        if value.get("class_name") == "__lambda_source__" and isinstance(value.get("config"), dict):
            found.append((where, value["config"].get("source")))
        if value.get("class_name") == "__lambda__":
            found.append((where, "<Python bytecode (Keras): never run by loom>"))
        for key, item in value.items():
            name = value.get("name") if isinstance(value.get("name"), str) else where
            _sources(item, found, name if key in ("config", "inbound_nodes") else where)
    return found


def _param_counts(specs: dict, prefix: str) -> int:
    return sum(math.prod(shape) for key, (shape, _) in specs.items() if key.startswith(prefix))


def _output_shapes(layers: list) -> dict:
    """Output shape of each layer's first call, read from the tensors other layers consume."""
    shapes = {}
    for entry in layers:
        for tensor in _tensors(entry.get("inbound_nodes", []), []):
            history = tensor.get("keras_history")
            if isinstance(history, list) and len(history) == 3 and history[1] == 0 and history[2] == 0:
                shapes.setdefault(str(history[0]), tensor.get("shape"))
        config = entry.get("config")
        if entry.get("class_name") == "InputLayer" and isinstance(config, dict):
            shapes.setdefault(str(entry.get("name")), config.get("batch_shape"))
    return shapes


def _layer_rows(config: dict, specs: dict) -> list:
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    layers = inner.get("layers") if isinstance(inner.get("layers"), list) else []
    layers = [entry for entry in layers if isinstance(entry, dict)]
    shapes = _output_shapes(layers)
    rows = []
    for entry in layers:
        layer_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        name = str(entry.get("name", layer_config.get("name", "?")))
        kind = entry.get("class_name", "?")
        if kind == "FunctionOperation":
            kind = f"ops.{layer_config.get('function', '?')}"
        inputs = []
        for tensor in _tensors(entry.get("inbound_nodes", []), []):
            history = tensor.get("keras_history")
            if isinstance(history, list) and len(history) == 3:
                inputs.append(f"{history[0]}[{history[1]}][{history[2]}]")
        params = _param_counts(specs, f"{name}/")
        rows.append((f"{name} ({kind})", _shape(shapes.get(name)), params, ", ".join(inputs) or "-"))
    return rows


def _table(rows: list, headers: tuple) -> str:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def _digest_lines(loaded) -> tuple[list, bool]:
    """The SHA-256 table (recorded digest, verdict) and whether every tensor matches its digest."""
    if loaded.weights is None:
        return [], True
    specs = loaded.weights.specs
    if loaded.digests is None:
        return [f"Weights SHA-256: none recorded (format version {loaded.format_version}, written before loom "
                "recorded digests); the tensors cannot be verified."], True
    pairs = integrity.compare_digests(loaded.weights, loaded.digests)
    failed = [key for key, (recorded, actual) in pairs.items() if recorded != actual]
    verdict = f"all {len(pairs)} verified" if not failed else f"{len(failed)} of {len(pairs)} DO NOT MATCH"
    rows = []
    for key, (recorded, actual) in pairs.items():
        status = "ok" if recorded == actual else ("NO DIGEST" if recorded is None else "NO TENSOR")
        if recorded and actual and recorded != actual:
            status = f"MISMATCH (file holds {actual[:16]}...)"
        shape, dtype = specs[key] if key in specs else ("-", "-")
        rows.append((key, str(shape), dtype, recorded or "-", status))
    lines = [f"Weights SHA-256 (recorded when written; {verdict}):"]
    lines += ["  " + line for line in _table(rows, ("Tensor", "Shape", "Dtype", "SHA-256", "Check")).splitlines()]
    if failed:
        lines.append("  The file was damaged or edited after saving: load_model will refuse it.")
    return lines, not failed


def _nonfinite_line(loaded) -> list:
    if loaded.weights is None:
        return []
    counts = integrity.nonfinite_counts(loaded.weights, loaded.weights.specs)
    if not counts:
        return ["NaN/Inf: none"]
    described = ", ".join(f"{key} ({nans} NaN, {infs} Inf)" for key, (nans, infs) in counts.items())
    return [f"NaN/Inf in {len(counts)} tensor(s): {described}"]


def _keras_format_report(path, show_source: bool) -> tuple[str, bool] | None:
    """The report for a ``.keras`` file in Keras's own format (config.json + model.weights.h5),
    or None for loom's format. Dataset shapes come from the HDF5 walk; no array is read."""
    with open(path, "rb") as handle:
        if not archive_module.starts_like_zip(handle):
            return None
        import zipfile

        try:
            with zipfile.ZipFile(handle) as archive:
                if not keras_archive.is_keras_layout(archive.namelist()):
                    return None
        except zipfile.BadZipFile:
            return None  # loom's reader explains what is wrong with it
        handle.seek(0)
        loaded = keras_archive.read_open_keras_archive(handle, path, verify=False)
    with open_hdf5(keras_archive.weights_file(loaded)) as checked:
        datasets = {key.lstrip("/"): (list(info.shape), str(info.dtype)) for key, info in checked.datasets.items()}
        # Keras groups a layer's weights by its class-based path (layers/dense_1); the group's
        # `name` attribute holds the layer's own name, which config.json uses.
        names = {}
        for key in datasets:
            if key.startswith("layers/"):
                group = key.split("/")[1]
                if group not in names:
                    vars_path = f"/layers/{group}/vars"
                    named = checked.attribute(vars_path, "name") if vars_path in checked.groups else None
                    names[group] = named if isinstance(named, str) else group
    model_specs = {
        names[key.split("/")[1]] + "/" + "/".join(key.split("/")[2:]): spec
        for key, spec in datasets.items()
        if key.startswith("layers/")
    }
    optimizer_keys = [key for key in datasets if key.startswith("optimizer/")]
    config, metadata = loaded.config, loaded.metadata
    lines = [f"Model file: {path}", "  format: Keras 3 (.keras: config.json, model.weights.h5)"]
    for key in ("keras_version", "date_saved"):
        if key in metadata:
            lines.append(f"  {key}: {metadata[key]}")
    lines += _model_lines(config)
    lines.append("")
    rows = _layer_rows(config, model_specs)
    if rows:
        lines.append("Layers (read from config.json; nothing is built):")
        lines.append(_table(rows, ("Layer (type)", "Output shape", "Params", "Connected to")))
    total = _param_counts(model_specs, "")
    size = sum(math.prod(shape) * _itemsize(dtype) for shape, dtype in model_specs.values())
    lines += ["", f"Weights: {len(model_specs)} tensors, {total:,} parameters ({size:,} bytes)"]
    lines.append(f"Optimizer state: {len(optimizer_keys)} tensors" if optimizer_keys else "Optimizer state: none")
    recorded = loaded.loom.get("weights_sha256")
    actual = hashlib.sha256(loaded.weights).hexdigest()
    intact = recorded is None or recorded == actual
    if recorded is None:
        lines.append("Weights SHA-256: none recorded (written by Keras); the weights cannot be verified.")
    else:
        verdict = "ok" if intact else f"MISMATCH (file holds {actual[:16]}...)"
        lines.append(f"Weights SHA-256 of model.weights.h5 (recorded when loom wrote it): {recorded}  {verdict}")
        if not intact:
            lines.append("  The file was damaged or edited after saving: load_model will refuse it.")
    lines += _source_lines(config, show_source)
    return "\n".join(lines), intact


def _model_lines(config: dict) -> list:
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    lines = [f"  model: {config.get('class_name', '?')} '{inner.get('name', '?')}' (module {config.get('module')!r})"]
    compile_config = config.get("compile_config")
    if isinstance(compile_config, dict):
        optimizer = compile_config.get("optimizer")
        optimizer_name = optimizer.get("class_name") if isinstance(optimizer, dict) else optimizer
        lines.append(
            f"  compiled: optimizer={optimizer_name}, loss={json.dumps(compile_config.get('loss'))[:200]}, "
            f"metrics={json.dumps(compile_config.get('metrics'))[:200]}"
        )
    return lines


def _source_lines(config: dict, show_source: bool) -> list:
    sources = _sources(config, [])
    if not sources:
        return []
    lines = ["Stored Python source (Lambda functions; shown, never run here):"]
    for where, source in sources:
        if show_source:
            lines.append(f"  [{where}]")
            lines += ["    " + line for line in str(source).splitlines()]
        else:
            first = str(source).splitlines()[0] if source else ""
            lines.append(f"  [{where}] {first[:100]}")
    return lines


def report(path, show_source: bool = False) -> tuple[str, bool]:
    """The inspector's report for the model file at ``path``, and whether its tensors match
    their recorded digests (raises loom's saving errors for files it cannot read)."""
    keras_format = _keras_format_report(path, show_source)
    if keras_format is not None:
        return keras_format
    loaded = archive_module.read_archive(path, verify_digests=False)
    config, metadata = loaded.config, loaded.metadata
    specs = loaded.weights.specs if loaded.weights is not None else {}
    lines = [f"Model file: {path}"]
    for key in ("format", "format_version", "loom_version", "keras_version", "date_saved"):
        if key in metadata:
            lines.append(f"  {key}: {metadata[key]}")
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    lines += _model_lines(config)
    model_keys = {k: v for k, v in specs.items() if not k.startswith("__")}
    optimizer_keys = [k for k in specs if k.startswith("__optimizer__/")]
    array_keys = [k for k in specs if k.startswith("__arrays__/")]
    total = _param_counts(model_keys, "")
    size = sum(math.prod(shape) * _itemsize(dtype) for shape, dtype in model_keys.values())
    lines.append("")
    rows = _layer_rows(config, specs)
    if rows:
        lines.append("Layers (read from config.json; nothing is built):")
        lines.append(_table(rows, ("Layer (type)", "Output shape", "Params", "Connected to")))
    else:
        lines.append(f"Layers: {len(inner.get('layers', [])) if isinstance(inner.get('layers'), list) else 0}")
    lines.append("")
    lines.append(f"Weights: {len(model_keys)} tensors, {total:,} parameters ({size:,} bytes)")
    lines.append(f"Optimizer state: {len(optimizer_keys)} tensors" if optimizer_keys else "Optimizer state: none")
    if array_keys:
        lines.append(f"Stored arrays (graph constants, Lambda captures): {len(array_keys)}")
        lines += [f"  {k} {specs[k][0]} {specs[k][1]}" for k in array_keys[:50]]
    digest_lines, intact = _digest_lines(loaded)
    lines += _nonfinite_line(loaded) + digest_lines
    lines += _source_lines(config, show_source)
    return "\n".join(lines), intact


def describe(path, show_source: bool = False) -> str:
    """The inspector's report for the model file at ``path`` (raises loom's saving errors)."""
    return report(path, show_source)[0]


def _itemsize(dtype: str) -> int:
    digits = "".join(c for c in dtype if c.isdigit())
    return max(int(digits) // 8, 1) if digits else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loom.inspect", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a .keras / .loom model file")
    parser.add_argument("--source", action="store_true", help="print the full source of stored functions")
    arguments = parser.parse_args(argv)
    try:
        text, intact = report(arguments.file, show_source=arguments.source)
    except (SavingError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(text)
    if not intact:
        print("error: tensors differ from the SHA-256 recorded when the file was written.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
