"""Step data: the ``data`` a model's ``train_step``/``test_step``/``predict_step`` receives.

Keras packs each batch as ``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``
(lists become tuples), and user steps unpack it with
``keras.utils.unpack_x_y_sample_weight``. loom hands overridden steps the same
structure, so ``x, y = data`` works as it does under Keras.
"""

from loom.utils.data_packing import pack_x_y_sample_weight


def _lists_to_tuples(structure):
    if isinstance(structure, (list, tuple)):
        return tuple(_lists_to_tuples(item) for item in structure)
    if isinstance(structure, dict):
        return {key: _lists_to_tuples(value) for key, value in structure.items()}
    return structure


def _per_output(values, output_names):
    """One output's array itself; several outputs as a tuple; nothing as None."""
    if values is None or all(value is None for value in values):
        return None
    if len(output_names) == 1:
        return values[0]
    return tuple(values)


def step_data(x, y: list | None, sample_weight: list | None, output_names: list):
    """loom's batch ``(x, [y per output], [weights per output])`` in Keras's packed form."""
    return pack_x_y_sample_weight(
        _lists_to_tuples(x), _per_output(y, output_names), _per_output(sample_weight, output_names)
    )


def as_list(structure, output_names: list) -> list:
    """``y``/``y_pred``/``sample_weight`` as a list aligned with ``output_names``."""
    if isinstance(structure, dict):
        return [structure.get(name) for name in output_names]
    if isinstance(structure, (list, tuple)) and len(output_names) > 1:
        return list(structure)
    if structure is None:
        return [None] * len(output_names)
    return [structure]
