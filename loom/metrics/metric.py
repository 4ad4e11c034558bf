"""Metric: a running statistic kept in variables, updated batch by batch."""

from loom import initializers
from loom.state.stateless_scope import StatelessScope
from loom.state.variable import Variable
from loom.utils.dtypes import standardize_dtype
from loom.utils.naming import auto_name


class Metric:
    """Base class: state in ``Variable``s, ``update_state`` per batch, ``result`` at the end.

    Subclasses create their state in ``__init__`` with ``add_variable``, update
    it in ``update_state`` with ``variable.assign(...)`` (pure ``jnp``, no Python
    branches on array values), and compute the value in ``result``. The training
    engine never mutates a metric: it calls the stateless forms, which run the
    same methods inside a ``StatelessScope``, so one ``update_state`` serves eager
    use and a compiled ``lax.scan`` over many steps.

    Args:
        dtype: dtype of the metric's computations; defaults to floatx. A mixed
            precision policy ("mixed_float16" or an object with
            ``compute_dtype``) gives its compute dtype, as in Keras.
        name: name of the metric instance; defaults to the snake-cased class
            name, made unique (``"mean"``, ``"mean_1"``, ...).

    Example:

    >>> import jax.numpy as jnp
    >>> class Maximum(Metric):
    ...     def __init__(self, name="maximum", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.peak = self.add_variable((), "zeros", name="peak")
    ...     def update_state(self, values):
    ...         self.peak.assign(jnp.maximum(self.peak.value, jnp.max(values)))
    ...     def result(self):
    ...         return self.peak.value
    >>> m = Maximum()
    >>> m.update_state(jnp.array([1.0, 3.0])); float(m.result())
    3.0
    """

    # "up" or "down" where the metric should grow or shrink as training improves;
    # callbacks monitoring it with mode="auto" read it. None: no preferred direction.
    _direction = None

    def __init__(self, dtype=None, name: str | None = None):
        self.name = name or auto_name(type(self))
        try:
            self._dtype = _compute_dtype(dtype)
        except TypeError as err:
            raise TypeError(
                f"{type(self).__name__}: `dtype` must be a dtype such as 'float32' (or a mixed precision "
                f"policy such as 'mixed_float16'); received dtype={dtype!r}."
            ) from err
        self._variables = []
        self._metrics = []

    def __setattr__(self, name, value):
        # A metric held in an attribute contributes its variables, as in Keras.
        if isinstance(value, Metric) and "_metrics" in self.__dict__ and value not in self._metrics:
            self._metrics.append(value)
        super().__setattr__(name, value)

    @property
    def dtype(self) -> str:
        """The dtype the metric computes in (``"float32"`` by default)."""
        return self._dtype

    @property
    def variables(self) -> list:
        """The metric's state variables in creation order, then those of nested metrics."""
        self._check_super_called()
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def add_variable(self, shape, initializer, dtype=None, aggregation: str = "sum", name: str | None = None):
        """Creates a non-trainable state variable owned by this metric.

        Args:
            shape: the variable's shape, e.g. ``()`` or ``(num_thresholds,)``.
            initializer: a name ("zeros"), an initializer, or a callable
                ``(shape, dtype) -> array``; ``reset_state`` refills with zeros.
            dtype: defaults to floatx.
            aggregation: how replicas combine the variable ("sum", "mean", ...).
            name: short name; the variable's ``path`` is ``"<metric>/<name>"``.

        Returns:
            The new ``Variable``.
        """
        self._check_super_called()
        variable = Variable(
            initializers.get(initializer),
            shape=tuple(shape),
            dtype=dtype,
            trainable=False,
            aggregation=aggregation,
            synchronization="on_read",
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name: str | None = None):
        """Alias of ``add_variable`` kept by Keras for backward compatibility."""
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    def build(self, y_true_shape, y_pred_shape) -> None:
        """Creates the state whose shape follows from the data; most metrics have none.

        Metrics that keep one value per output column (``F1Score``, ``R2Score``,
        ``AUC(multi_label=True)``) cannot size their variables at construction.
        The first eager ``update_state`` creates them; a compiled step cannot, as
        its state is fixed before tracing, so the training engine calls ``build``
        with one batch's shapes first (Keras runs ``update_state`` on symbolic
        data for the same purpose). Calling it again does nothing.

        Args:
            y_true_shape: shape of one batch of labels, e.g. ``(32, 10)``.
            y_pred_shape: shape of one batch of predictions.
        """
        del y_true_shape, y_pred_shape  # fixed-shape state: nothing to create

    # --- eager API -----------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Accumulates the statistics of one batch into the state variables."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state(...).")

    def result(self):
        """The metric's value computed from the state variables (a scalar array)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self) -> None:
        """Sets every state variable back to zeros (called between epochs)."""
        for variable in self.variables:
            variable.assign(_zeros_like(variable))

    def __call__(self, *args, **kwargs):
        """Updates the state with one batch and returns the new ``result()``."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # --- stateless API (what the compiled training step calls) ----------------
    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        """New state values after ``update_state(*args, **kwargs)``; the metric is untouched.

        Args:
            metric_variables: one array per ``self.variables``, in that order.
            *args: the arguments of ``update_state`` (``y_true, y_pred`` ...).
            **kwargs: its keyword arguments (``sample_weight``).

        Returns:
            A list of arrays aligned with ``self.variables``.
        """
        self._check_state_length(metric_variables, "stateless_update_state")
        variables = self.variables
        with StatelessScope(state_mapping=zip(variables, metric_variables)) as scope:
            self.update_state(*args, **kwargs)
        if len(self.variables) != len(variables):
            raise RuntimeError(
                f"{self._owner()} created variables inside stateless_update_state, so the state "
                "passed in cannot hold them. Create them first: "
                "give their shapes at construction (e.g. AUC(multi_label=True, num_labels=10)), or call "
                "metric.build(y_true_shape, y_pred_shape) with one batch's shapes."
            )
        return [scope.get_current_value(v) for v in variables]

    def stateless_result(self, metric_variables):
        """``result()`` computed from the given state values instead of the variables."""
        self._check_state_length(metric_variables, "stateless_result")
        with StatelessScope(state_mapping=zip(self.variables, metric_variables)):
            return self.result()

    def stateless_reset_state(self) -> list:
        """The state values ``reset_state()`` would set, as a list aligned with ``variables``."""
        variables = self.variables
        with StatelessScope() as scope:
            self.reset_state()
        values = []
        for variable in variables:
            value = scope.get_current_value(variable)
            values.append(variable.value if value is None else value)
        return values

    # --- configuration -------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments, as a JSON-serializable dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        """Builds a metric from the output of ``get_config``."""
        return cls(**config)

    def _owner(self) -> str:
        """The metric as error messages name it: ``Mean 'loss'``."""
        return f"{type(self).__name__} '{self.name}'"

    def _check_state_length(self, metric_variables, method: str) -> None:
        expected = len(self.variables)
        if len(metric_variables) != expected:
            raise ValueError(
                f"{self._owner()}: {method} needs one array per variable in `metric_variables`, "
                f"{expected} in all; received {len(metric_variables)}. "
                "Pass the list from metric.stateless_reset_state() or a previous stateless_update_state()."
            )

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__} was not initialized: its __init__ must call "
                "super().__init__(name=name, dtype=dtype) before creating variables."
            )

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _compute_dtype(dtype) -> str:
    if hasattr(dtype, "compute_dtype"):
        return standardize_dtype(dtype.compute_dtype)
    if isinstance(dtype, str) and dtype in ("mixed_float16", "mixed_bfloat16"):
        return dtype.split("_")[1]
    return standardize_dtype(dtype)


def _zeros_like(variable: Variable):
    return initializers.Zeros()(variable.shape, variable.dtype)
