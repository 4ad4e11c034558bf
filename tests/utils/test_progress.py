import io
import re
import sys

import pytest

from loom.utils import progress
from loom.utils.progress import Progbar, format_time_per_unit

BAR = "━"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeClock:
    """Stands in for the ``time`` module: ``time()`` returns ``now``."""

    def __init__(self, now=100.0):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(progress, "time", clock)
    return clock


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "200")


def _run(bar, clock, steps, seconds_per_step=1.0, values=lambda step: [("loss", 1.0 / step)]):
    for step in range(1, steps + 1):
        clock.now += seconds_per_step
        bar.update(step, values(step))


def test_outside_a_terminal_only_the_final_line_is_written(clock, capsys):
    _run(Progbar(10), clock, 10)
    assert capsys.readouterr().out == f"10/10 {BAR * 20} 10s 1s/step - loss: 0.1000\n"


def test_verbose_2_writes_a_summary_line(clock, capsys):
    _run(Progbar(10, verbose=2), clock, 10, seconds_per_step=0.002)
    assert capsys.readouterr().out == "10/10 - 0s - 2ms/step - loss: 0.1000\n"


def test_verbose_0_writes_nothing(clock, capsys):
    _run(Progbar(10, verbose=0), clock, 10)
    assert capsys.readouterr().out == ""


def test_terminal_bar_is_redrawn_in_place_then_ends_the_line(clock, terminal, capsys):
    _run(Progbar(4, width=4), clock, 4)
    out = capsys.readouterr().out
    assert ANSI.search(out)  # styled by rich
    frames = ANSI.sub("", out).split("\r")
    assert frames == [
        "",
        f"1/4 {BAR * 1}{BAR * 3} 3s 1s/step - loss: 1.0000",
        f"2/4 {BAR * 2}{BAR * 2} 2s 1s/step - loss: 0.7500",
        f"3/4 {BAR * 3}{BAR * 1} 1s 1s/step - loss: 0.6111",
        f"4/4 {BAR * 4} 4s 1s/step - loss: 0.2500\n",
    ]


def test_terminal_redraws_are_throttled_by_interval(clock, terminal, capsys):
    _run(Progbar(100, interval=0.05), clock, 100, seconds_per_step=0.01)
    frames = capsys.readouterr().out.split("\r")[1:]
    assert len(frames) == 21  # every 5th step, plus the final line
    assert frames[-1].endswith("\n") and not any(frame.endswith("\n") for frame in frames[:-1])


def test_shorter_line_pads_over_the_previous_one(clock, terminal, capsys):
    bar = Progbar(3, width=3, interval=0)
    clock.now += 1
    bar.update(1, [("loss", 123456.0)], finalize=False)
    clock.now += 1
    bar.update(2, [("loss", -1.0)], finalize=False)
    first, second = ANSI.sub("", capsys.readouterr().out).split("\r")[1:]
    assert len(second) == len(first) and second.rstrip() == f"2/3 {BAR * 3} 1s 1s/step - loss: 61727.5000"


def test_live_line_is_cut_to_the_terminal_width_but_the_final_line_is_not(clock, terminal, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "40")
    metrics = lambda step: [(f"metric_{i}", 0.5) for i in range(5)]  # noqa: E731
    _run(Progbar(2), clock, 2, values=metrics)
    live, final = ANSI.sub("", capsys.readouterr().out).split("\r")[1:]
    assert len(live) == 39 and live.endswith("…")
    assert final.endswith("metric_4: 0.5000\n")


def test_averaging_weights_each_update_by_the_steps_it_covers(clock, terminal, capsys):
    bar = Progbar(10, interval=0, stateful_metrics=["accuracy"])
    bar.update(2, [("loss", 1.0), ("accuracy", 0.1)])
    bar.update(8, [("loss", 2.0), ("accuracy", 0.2)])
    live = ANSI.sub("", capsys.readouterr().out).split("\r")[-1]
    assert live.endswith("- loss: 1.7500 - accuracy: 0.2000")  # (1*2 + 2*6) / 8


def test_stateless_metrics_are_the_only_ones_averaged(clock, terminal, capsys):
    bar = Progbar(10, interval=0, stateless_metrics=["loss"])
    bar.update(5, [("loss", 1.0), ("accuracy", 0.1)])
    bar.update(10, [("loss", 3.0), ("accuracy", 0.3)], finalize=False)
    live = ANSI.sub("", capsys.readouterr().out).split("\r")[-1]
    assert live.endswith("- loss: 2.0000 - accuracy: 0.3000")


def test_text_values_are_shown_not_averaged(clock, capsys):
    bar = Progbar(2, verbose=2)
    bar.update(1, [("phase", "warm-up")])
    bar.update(2, [("phase", "main")])
    assert capsys.readouterr().out.endswith("- phase: main\n")


def test_final_update_shows_the_last_value(clock, capsys):
    bar = Progbar(4)
    bar.update(2, [("loss", 1.0)])
    bar.update(4, [("loss", 3.0)])
    assert capsys.readouterr().out.endswith("- loss: 3.0000\n")


@pytest.mark.parametrize(
    "value, text",
    [
        (0.5, "0.5000"),
        (-0.5, "-0.5000"),
        (0.0005, "5.0000e-04"),
        (-0.0005, "-5.0000e-04"),
        (0.0, "0.0000e+00"),
        ("n/a", "n/a"),
    ],
)
def test_metric_formatting(value, text, clock, capsys):
    bar = Progbar(1, verbose=2)
    bar.update(1, [("m", value)])
    assert capsys.readouterr().out.endswith(f"- m: {text}\n")


def test_unknown_target_shows_a_count(clock, capsys):
    bar = Progbar(None)
    _run(bar, clock, 3)
    assert capsys.readouterr().out == ""  # no final line until told
    bar.update(3, finalize=True)
    assert capsys.readouterr().out == "      3/Unknown 3s 1s/step - loss: 0.6111\n"  # mean of 1, 1/2, 1/3


def test_add_moves_forward(clock, capsys):
    bar = Progbar(6, verbose=2)
    clock.now += 3
    bar.add(3, [("loss", 1.0)])
    clock.now += 3
    bar.add(3, [("loss", 0.5)])
    assert capsys.readouterr().out == "6/6 - 6s - 1s/step - loss: 0.5000\n"


def test_time_per_step_leaves_out_the_first_update(clock, capsys):
    bar = Progbar(30, verbose=2)
    clock.now += 10.0  # the first chunk holds compilation
    bar.update(10)
    clock.now += 1.0
    bar.update(20)
    clock.now += 1.0
    bar.update(30)
    assert capsys.readouterr().out == "30/30 - 12s - 100ms/step\n"


def test_eta_formats(clock, terminal, capsys):
    for steps_done, expected in [(1, "1:23:19"), (19000, "4:10"), (19900, "25s")]:
        bar = Progbar(20000, interval=0, width=1)
        clock.now += steps_done * 0.25
        bar.update(steps_done)
        assert f" {expected} 250ms/step" in ANSI.sub("", capsys.readouterr().out)


@pytest.mark.parametrize("seconds, text", [(0, "0s/step"), (2.4, "2s/step"), (0.0021, "2ms/step"), (3e-6, "3us/step")])
def test_format_time_per_unit(seconds, text):
    assert format_time_per_unit(seconds, "step") == text


def test_stream_that_cannot_encode_the_bar_gets_ascii(clock, monkeypatch):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    _run(Progbar(2, width=4), clock, 2)
    stream.flush()
    assert stream.buffer.getvalue() == b"2/2 ==== 2s 1s/step - loss: 0.5000\n"


@pytest.mark.parametrize("setting, value", [("TTY_COMPATIBLE", "1"), ("TTY_COMPATIBLE", "0")])
def test_dynamic_display_follows_tty_compatible(setting, value, monkeypatch):
    monkeypatch.setenv(setting, value)
    assert progress.is_dynamic_display() is (value == "1")


def test_dynamic_display_asks_the_stream(monkeypatch):
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    assert progress.is_dynamic_display()
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert not progress.is_dynamic_display()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(verbose=3), r"`verbose` must be 0, 1 or 2; received verbose=3"),
        (dict(width=0), r"`width` must be a positive int; received width=0"),
        (dict(stateful_metrics=["a"], stateless_metrics=["b"]), "pass only one of `stateful_metrics`"),
    ],
)
def test_progbar_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Progbar(10, **kwargs)


@pytest.mark.parametrize("verbose", [1, 2])
def test_final_line_matches_keras(verbose, keras, clock, monkeypatch, capsys):
    from keras.src.utils import progbar as keras_progbar

    monkeypatch.setattr(keras_progbar, "time", clock)
    texts = []
    for progbar_class in (Progbar, keras_progbar.Progbar):
        bar = progbar_class(12, verbose=verbose, stateful_metrics=["accuracy"])
        for step in range(1, 13):
            clock.now += 0.25
            bar.update(step, [("loss", 1.0 / step), ("accuracy", step / 12), ("tiny", 1e-5 * step)])
        out = ANSI.sub("", capsys.readouterr().out)
        texts.append(out.split("\r")[-1].replace("\b", "").strip("\n").splitlines()[-1])
    assert texts[0] == texts[1]
