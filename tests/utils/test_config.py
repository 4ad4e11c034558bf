import copy
import json
import pickle

import pytest

from loom.utils import Config


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _use(config_class):
    """A script of Config uses; returns what each step gave (or the error type and message)."""
    results = []

    def record(step):
        try:
            results.append(step())
        except Exception as err:  # noqa: BLE001 - the comparison is the point
            results.append((type(err).__name__, str(err)))

    config = config_class(learning_rate=0.1, momentum=0.9)
    config.use_ema = True
    config["seed"] = 123
    record(lambda: (config.learning_rate, config["momentum"], config.use_ema, config.seed))
    record(lambda: (list(config), len(config), "seed" in config, config.get("missing", 7)))
    record(lambda: (config.as_dict(), json.loads(config.to_json()), sorted(config.items()), repr(config)))
    record(lambda: config.learnin_rate)
    record(lambda: config.pop("seed"))
    record(lambda: config.update(batch=32))
    config.freeze()
    record(lambda: (config.frozen, config.learning_rate))
    record(lambda: setattr(config, "x", 1))
    record(lambda: config.__setitem__("x", 1))
    record(lambda: config.__delitem__("batch"))
    record(lambda: config.pop("batch"))
    config.unfreeze()
    del config["batch"]
    record(lambda: (config.frozen, sorted(config.keys()), sorted(config.values(), key=str)))
    return results


def test_config_behaves_as_keras_config(keras):
    ours, theirs = _use(Config), _use(keras.utils.Config)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        if isinstance(reference, tuple) and len(reference) == 2 and reference[0] == "ValueError":
            # Same error type; loom's message adds the fix.
            assert mine[0] == "ValueError" and mine[1].startswith(reference[1].rstrip("."))
        else:
            assert mine == reference


def test_unknown_attribute_suggests_a_close_name():
    with pytest.raises(AttributeError, match="Unknown attribute: 'momentun'. Did you mean 'momentum'?"):
        Config(momentum=0.9).momentun


def test_copy_and_pickle_keep_the_entries():
    config = Config(a=1)
    config.freeze()
    for clone in (copy.deepcopy(config), pickle.loads(pickle.dumps(config))):
        assert clone.as_dict() == {"a": 1} and clone.frozen
