"""Every public name of the installed Keras is in loom, or on tools/keras_coverage.py's list with a reason."""

import importlib.util
import pathlib

import pytest

import loom

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
keras = pytest.importorskip("keras")


def _load_tool():
    # tools/ is not a package on sys.path; load the script by its path.
    path = pathlib.Path(__file__).resolve().parents[1] / "tools" / "keras_coverage.py"
    spec = importlib.util.spec_from_file_location("keras_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


keras_coverage = _load_tool()
ROWS = {row["namespace"]: row for row in keras_coverage.coverage(keras, loom)}


@pytest.mark.parametrize("namespace", keras_coverage.NAMESPACES)
def test_every_keras_name_is_in_loom_or_listed_with_a_reason(namespace):
    unaccounted = ROWS[namespace]["unaccounted"]
    assert not unaccounted, (
        f"keras.{namespace} has {unaccounted}, which loom.{namespace} lacks; implement them, or add them to "
        f"LEFT_OUT[{namespace!r}] in tools/keras_coverage.py with the reason."
    )


@pytest.mark.parametrize("namespace", keras_coverage.NAMESPACES)
def test_names_listed_as_left_out_are_not_in_loom(namespace):
    arrived = ROWS[namespace]["arrived"]
    assert not arrived, (
        f"loom.{namespace} now has {arrived}; remove them from LEFT_OUT[{namespace!r}] in tools/keras_coverage.py."
    )


def test_every_left_out_name_is_a_keras_name_with_a_reason():
    for namespace, left_out in keras_coverage.LEFT_OUT.items():
        names = set(keras_coverage.keras_public_names(keras, namespace))
        assert set(left_out) <= names, (namespace, sorted(set(left_out) - names))
        assert all(isinstance(reason, str) and reason for reason in left_out.values()), namespace


def test_table_counts_add_up():
    table = keras_coverage.format_table(list(ROWS.values()), keras.__version__)
    print(table)  # shown with `pytest -s`; `python tools/keras_coverage.py` prints it too
    for row in ROWS.values():
        assert row["present"] + row["listed"] == row["total"] or row["unaccounted"]
        assert f"| `keras.{row['namespace']}` | {row['present']} | {row['listed']} | {row['total']} |" in table
    assert table.splitlines()[-1].startswith("| total |")
