import logging

import pytest

import loom
from loom.utils import interactive_logging, progress
from loom.utils.progress import Progbar


@pytest.fixture
def logging_off():
    loom.utils.disable_interactive_logging()
    yield
    loom.utils.enable_interactive_logging()


def test_switch_is_on_by_default_and_toggles(logging_off):
    assert not loom.utils.is_interactive_logging_enabled()
    loom.utils.enable_interactive_logging()
    assert loom.utils.is_interactive_logging_enabled()


def test_print_msg_writes_to_stdout_or_logs(capsys, caplog):
    interactive_logging.print_msg("to stdout")
    assert capsys.readouterr().out == "to stdout\n"
    loom.utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="loom"):
            interactive_logging.print_msg("to the log")
    finally:
        loom.utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [("loom", logging.INFO, "to the log")]


def test_progbar_logs_its_final_line_and_never_redraws(logging_off, monkeypatch, capsys, caplog):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a terminal, yet no redraws go to a log
    assert not progress.is_dynamic_display()
    with caplog.at_level(logging.INFO, logger="loom"):
        bar = Progbar(3, interval=0)
        for step in (1, 2, 3):
            bar.update(step, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    (record,) = caplog.records
    assert record.getMessage().startswith("3/3 ━") and record.getMessage().endswith("- loss: 1.0000")


def test_fit_output_goes_to_the_log_when_interactive_logging_is_off(logging_off, capsys, caplog):
    import numpy as np

    model = loom.Sequential([loom.Input((2,)), loom.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with caplog.at_level(logging.INFO, logger="loom"):
        model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=1, verbose=1)
    assert "━" not in capsys.readouterr().out
    assert any(r.getMessage().startswith("2/2 ━") for r in caplog.records)


def test_the_switch_is_loom_config_s():
    for name in ("enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled"):
        assert getattr(loom.utils, name) is getattr(loom.config, name)
