"""Learning-rate schedules: functions of the optimizer's step count, safe to trace.

An optimizer given a schedule calls it with its ``iterations`` inside the
compiled step, so the rate changes every step without recompiling. Each
schedule computes exactly what Keras 3's schedule of the same name computes.
"""

import inspect
import math

import jax
import jax.numpy as jnp

from loom.utils.lookup import lookup

# Keras computes in the dtype of `initial_learning_rate`, which is int32 for an
# integer argument and then fails; loom always computes in float32 (floatx).
_DTYPE = jnp.float32


class LearningRateSchedule:
    """Base class: ``schedule(step)`` returns the learning rate at that step.

    Subclasses implement ``__call__(step)`` with ``jax.numpy`` operations (no
    Python branches on ``step``: it is traced inside the training step) and
    ``get_config`` returning their constructor arguments.

    Example:

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate * 0.5 ** (step // 100)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> float(Halving(0.1)(200))
    0.025
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "(returning its constructor arguments) to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self):
        try:
            arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            arguments = "..."
        return f"{type(self).__name__}({arguments})"


def _check_positive_steps(schedule: str, argument: str, value) -> None:
    if not value > 0:
        raise ValueError(f"{schedule}: `{argument}` must be > 0; received {argument}={value!r}.")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps over which the rate is multiplied by ``decay_rate``; > 0.
        decay_rate: the factor per ``decay_steps``.
        staircase: if True, ``step / decay_steps`` is floored (the rate drops in steps).
        name: kept in the config, as in Keras.

    Example:

    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(schedule(20)), 6)
    0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _check_positive_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        initial_learning_rate = jnp.asarray(self.initial_learning_rate, _DTYPE)
        p = jnp.asarray(step, _DTYPE) / jnp.asarray(self.decay_steps, _DTYPE)
        if self.staircase:
            p = jnp.floor(p)
        return initial_learning_rate * jnp.power(jnp.asarray(self.decay_rate, _DTYPE), p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step unit of the decay; > 0.
        decay_rate: how fast the rate falls.
        staircase: if True, ``step / decay_steps`` is floored.
        name: kept in the config, as in Keras.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        _check_positive_steps("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        initial_learning_rate = jnp.asarray(self.initial_learning_rate, _DTYPE)
        p = jnp.asarray(step, _DTYPE) / jnp.asarray(self.decay_steps, _DTYPE)
        if self.staircase:
            p = jnp.floor(p)
        return initial_learning_rate / (1.0 + jnp.asarray(self.decay_rate, _DTYPE) * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``.

    Args:
        boundaries: increasing step numbers where the rate changes.
        values: one more rate than there are boundaries: the rate up to and
            including ``boundaries[0]``, between each pair, and after the last.
        name: kept in the config, as in Keras.

    Example:

    >>> schedule = PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    >>> [round(float(schedule(s)), 4) for s in (10, 11, 21)]
    [0.1, 0.01, 0.001]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: `values` must have one more entry than `boundaries`; received "
                f"boundaries={boundaries!r} ({len(boundaries)} entries) and values={values!r} "
                f"({len(values)} entries)."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = jnp.asarray(step)
        # Boundaries take the step's dtype, as in Keras (an int step truncates float boundaries).
        boundaries = [jnp.asarray(b).astype(step.dtype) for b in self.boundaries]
        values = [jnp.asarray(v, _DTYPE) for v in self.values]
        result = (step <= boundaries[0]).astype(_DTYPE) * values[0]
        result += (step > boundaries[-1]).astype(_DTYPE) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            result += ((step > low) & (step <= high)).astype(_DTYPE) * value
        return result

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - t) ** power``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to reach ``end_learning_rate``; > 0.
        end_learning_rate: the final rate.
        power: the polynomial's power (1.0 is linear).
        cycle: if True, restart the decay at each multiple of ``decay_steps``
            (each cycle longer than the last); else stay at the end rate.
        name: kept in the config, as in Keras.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_positive_steps("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        initial_learning_rate = jnp.asarray(self.initial_learning_rate, _DTYPE)
        end_learning_rate = jnp.asarray(self.end_learning_rate, _DTYPE)
        step = jnp.asarray(step, _DTYPE)
        decay_steps = jnp.asarray(self.decay_steps, _DTYPE)
        if self.cycle:
            # The first multiple of decay_steps above step (1 at step 0).
            multiplier = jnp.where(step == 0, 1.0, jnp.ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = jnp.minimum(step, decay_steps)
        p = step / decay_steps
        return (initial_learning_rate - end_learning_rate) * jnp.power(1 - p, jnp.asarray(self.power, _DTYPE)) + (
            end_learning_rate
        )

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay to ``alpha * rate`` over ``decay_steps``, after an optional linear warmup.

    Without ``warmup_target`` the rate goes from ``initial_learning_rate`` down
    the cosine. With it, the rate first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then
    decays from ``warmup_target``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: length of the cosine decay; > 0.
        alpha: the final rate as a fraction of the rate decayed from.
        name: kept in the config, as in Keras.
        warmup_target: the rate reached at the end of warmup; None for no warmup.
        warmup_steps: length of the warmup.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_positive_steps("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, step, decay_steps, decay_from):
        cosine_decayed = 0.5 * (1.0 + jnp.cos(jnp.asarray(math.pi, _DTYPE) * (step / decay_steps)))
        return decay_from * ((1 - self.alpha) * cosine_decayed + self.alpha)

    def __call__(self, step):
        initial_learning_rate = jnp.asarray(self.initial_learning_rate, _DTYPE)
        decay_steps = jnp.asarray(self.decay_steps, _DTYPE)
        step = jnp.asarray(step, _DTYPE)
        if self.warmup_target is None:
            return self._decay(jnp.minimum(step, decay_steps), decay_steps, initial_learning_rate)
        warmup_target = jnp.asarray(self.warmup_target, _DTYPE)
        warmup_steps = jnp.asarray(self.warmup_steps, _DTYPE)
        step = jnp.minimum(step, decay_steps + warmup_steps)
        # lax.cond, as Keras: both branches compile as one unit, so the rounding
        # matches Keras's eagerly too (and warmup_steps=0 never divides by zero).
        return jax.lax.cond(
            step < warmup_steps,
            lambda: (warmup_target - initial_learning_rate) * (step / warmup_steps) + initial_learning_rate,
            lambda: self._decay(step - warmup_steps, decay_steps, warmup_target),
        )

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    Args:
        initial_learning_rate: the rate at step 0 and (times ``m_mul**i``) at each restart.
        first_decay_steps: length of the first period; > 0.
        t_mul: each period is this many times longer than the previous one.
        m_mul: each restart's rate is this many times the previous one's.
        alpha: the lowest rate as a fraction of ``initial_learning_rate``.
        name: kept in the config, as in Keras.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        _check_positive_steps("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        initial_learning_rate = jnp.asarray(self.initial_learning_rate, _DTYPE)
        alpha = jnp.asarray(self.alpha, _DTYPE)
        t_mul = jnp.asarray(self._t_mul, _DTYPE)
        m_mul = jnp.asarray(self._m_mul, _DTYPE)
        completed_fraction = jnp.asarray(step, _DTYPE) / jnp.asarray(self.first_decay_steps, _DTYPE)
        if self._t_mul == 1.0:
            i_restart = jnp.floor(completed_fraction)
            completed_fraction = completed_fraction - i_restart
        else:
            # Periods grow geometrically: find the restart index from the partial sum.
            i_restart = jnp.floor(jnp.log(1.0 - completed_fraction * (1.0 - t_mul)) / jnp.log(t_mul))
            sum_r = (1.0 - jnp.power(t_mul, i_restart)) / (1.0 - t_mul)
            completed_fraction = (completed_fraction - sum_r) / jnp.power(t_mul, i_restart)
        m_fac = jnp.power(m_mul, i_restart)
        cosine_decayed = 0.5 * m_fac * (1.0 + jnp.cos(jnp.asarray(math.pi, _DTYPE) * completed_fraction))
        return initial_learning_rate * ((1 - alpha) * cosine_decayed + alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_CLASSES = (
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    CosineDecay,
    CosineDecayRestarts,
)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}


def _lookup(name: str, custom_objects: dict | None):
    """The learning rate schedule called ``name`` (custom objects first), or a ValueError listing the valid names."""
    return lookup("learning rate schedule", name, _BY_NAME, custom_objects, "For a custom schedule pass its class in `custom_objects`.")


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """The schedule's config as a dict: ``module``, ``class_name``, ``config``, ``registered_name``.

    Example:

    >>> serialize(ExponentialDecay(0.1, 1000, 0.96))["class_name"]
    'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "schedules.serialize expects a LearningRateSchedule; received "
            f"{learning_rate_schedule!r}. A plain function has no config: subclass "
            "loom.optimizers.schedules.LearningRateSchedule and implement get_config()."
        )
    cls = type(learning_rate_schedule)
    builtin = _BY_NAME.get(cls.__name__) is cls
    return {
        "module": "loom.optimizers.schedules" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Builds a schedule from ``serialize``'s dict (Keras's files work too).

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: ``{name: class}`` for schedules loom does not define.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "schedules.deserialize expects a dict with 'class_name' and 'config' (the output of "
            f"serialize); received {config!r}."
        )
    cls = _lookup(config["class_name"], custom_objects)
    if not (inspect.isclass(cls) and issubclass(cls, LearningRateSchedule)):
        raise TypeError(
            f"custom_objects[{config['class_name']!r}] must be a LearningRateSchedule subclass; received {cls!r}."
        )
    return cls.from_config(dict(config.get("config") or {}))
