import numpy as np
import pytest

from loom.callbacks import CallbackList, CSVLogger

LOGS = [
    {"loss": 1.0, "accuracy": 0.5},
    {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.6},
    {"loss": 0.25, "accuracy": 0.875},
]
LOGS_WITH_VALIDATION = [{"loss": 1.0, "val_loss": 1.5}, {"loss": 0.5}, {"loss": 0.25, "val_loss": 0.3, "extra": 7.0}]


def _log(callback_list_class, logger_class, fake_model, fit, path, epoch_logs, **kwargs):
    fit(callback_list_class, [logger_class(str(path), **kwargs)], fake_model(), epoch_logs)
    return path.read_bytes()


@pytest.mark.parametrize("epoch_logs", [LOGS, LOGS_WITH_VALIDATION], ids=["no_val_keys", "val_keys"])
@pytest.mark.parametrize("separator", [",", ";"])
def test_file_matches_keras(epoch_logs, separator, keras, fake_model, fit, tmp_path):
    ours = _log(CallbackList, CSVLogger, fake_model, fit, tmp_path / "ours.csv", epoch_logs, separator=separator)
    keras_classes = keras.callbacks.CallbackList, keras.callbacks.CSVLogger
    theirs = _log(*keras_classes, fake_model, fit, tmp_path / "k.csv", epoch_logs, separator=separator)
    assert ours == theirs


def test_append_matches_keras(keras, fake_model, fit, tmp_path):
    for logger_class, callback_list_class, name in [
        (CSVLogger, CallbackList, "ours.csv"),
        (keras.callbacks.CSVLogger, keras.callbacks.CallbackList, "k.csv"),
    ]:
        _log(callback_list_class, logger_class, fake_model, fit, tmp_path / name, LOGS, append=True)
        _log(callback_list_class, logger_class, fake_model, fit, tmp_path / name, LOGS, append=True)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "k.csv").read_bytes()


def test_columns_are_sorted_with_val_columns_and_na(fake_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    _log(CallbackList, CSVLogger, fake_model, fit, path, LOGS)
    assert path.read_text().splitlines() == [
        "epoch,accuracy,loss,val_accuracy,val_loss",
        "0,0.5,1.0,NA,NA",
        "1,0.75,0.5,NA,0.6",
        "2,0.875,0.25,NA,NA",
    ]


def test_array_values_are_written_as_lists(fake_model, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(fake_model())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "per_class": np.array([0.5, 0.25]), "note": "ok"})
    logger.on_train_end()
    assert path.read_text().splitlines()[1] == '0,1.0,ok,"""[0.5, 0.25]""",NA,NA,NA'


def test_rows_are_on_disk_as_soon_as_each_epoch_ends(fake_model, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(fake_model())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0})
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,NA"]
    logger.on_epoch_end(1, {"loss": 0.5})
    assert path.read_text().splitlines()[-1] == "1,0.5,NA"  # before on_train_end closes the file
    logger.on_train_end()


def test_append_keeps_earlier_rows_and_writes_one_header(fake_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    _log(CallbackList, CSVLogger, fake_model, fit, path, LOGS[:1], append=True)
    _log(CallbackList, CSVLogger, fake_model, fit, path, LOGS[:1], append=True)
    lines = path.read_text().splitlines()
    assert lines == ["epoch,accuracy,loss,val_accuracy,val_loss", "0,0.5,1.0,NA,NA", "0,0.5,1.0,NA,NA"]


def test_without_append_a_new_run_overwrites_the_file(fake_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old contents\n")
    _log(CallbackList, CSVLogger, fake_model, fit, path, LOGS[:1])
    assert path.read_text().splitlines()[0] == "epoch,accuracy,loss,val_accuracy,val_loss"


def test_appending_different_columns_warns(fake_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    _log(CallbackList, CSVLogger, fake_model, fit, path, [{"loss": 1.0}], append=True)
    with pytest.warns(UserWarning, match="columns .*'loss', 'val_loss'.* differ from this run's .*'accuracy'"):
        _log(CallbackList, CSVLogger, fake_model, fit, path, [{"accuracy": 1.0}], append=True)


def test_append_to_an_empty_file_writes_the_header(fake_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    _log(CallbackList, CSVLogger, fake_model, fit, path, [{"loss": 1.0}], append=True)
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,NA"]


def test_reused_logger_closes_its_previous_file(fake_model, tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    logger.set_model(fake_model())
    logger.on_train_begin()
    first = logger.csv_file
    logger.on_train_begin()
    assert first.closed and not logger.csv_file.closed
    logger.on_train_end()
    assert logger.csv_file.closed


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(filename=3), TypeError, "`filename` must be a path"),
        (dict(filename="x.csv", separator=", "), ValueError, "one-character string; received separator=', '"),
        (dict(filename="x.csv", separator=None), ValueError, "separator=None"),
    ],
)
def test_csv_logger_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        CSVLogger(**kwargs)
