"""MultiOptimizer: each variable updated by the optimizer an ``OptimizerMap`` (or a function) picks for it."""

import re
from collections.abc import MutableMapping

from loom.optimizers.loss_scale_optimizer import LossScaleOptimizer
from loom.optimizers.optimizer import Optimizer


def _serialization():
    # The serialization module lists these classes among the built-ins, so it imports
    # this module; (de)serializing the inner optimizers reaches back here.
    from loom.optimizers import serialization

    return serialization


def _check_inner(optimizer, where: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{where} must be a loom Optimizer instance, e.g. loom.optimizers.Adam(); received {optimizer!r}."
        )
    if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
        raise ValueError(
            f"{where} cannot be a {type(optimizer).__name__}: wrap the MultiOptimizer in the "
            "LossScaleOptimizer, or set `loss_scale_factor` on the MultiOptimizer instead."
        )


class OptimizerMap(MutableMapping):
    """Maps variable paths (exact, or regular expressions matched whole) to optimizers.

    Args:
        default_optimizer: the optimizer of variables no key matches.
        optimizer_map: ``{path or pattern: optimizer}``.

    Example:

    >>> from loom.optimizers import SGD, Adam
    >>> optimizers = OptimizerMap(SGD(name="sgd"), {"encoder/.*": Adam(name="adam")})
    >>> optimizers["encoder/dense/kernel"].name, optimizers["decoder/dense/kernel"].name
    ('adam', 'sgd')
    """

    def __init__(self, default_optimizer, optimizer_map: dict | None = None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                f"OptimizerMap: `default_optimizer` must be a loom Optimizer instance; received {default_optimizer!r}."
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                "OptimizerMap: `optimizer_map` must be a dict {variable path or pattern: optimizer}; "
                f"received {optimizer_map!r}."
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        """The optimizer for path ``key``: an exact key first, else the one pattern that matches it whole.

        Raises a ValueError when several patterns match; gives the default
        optimizer when none does.
        """
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"OptimizerMap: variable {key!r} matches several patterns {matches}; make the patterns exclusive."
            )
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key: str, optimizer) -> None:
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys must be variable paths or patterns (strings); received {key!r}.")
        if key in self._optimizer_map:
            raise ValueError(
                f"OptimizerMap: {key!r} is already mapped to {self._optimizer_map[key]!r}; each key may be set once."
            )
        _check_inner(optimizer, f"OptimizerMap[{key!r}]")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable) -> Optimizer:
        return self[variable.path]

    def get_config(self) -> dict:
        serialize = _serialization().serialize
        return {
            "default_optimizer": serialize(self._default_optimizer),
            "optimizer_map": {key: serialize(optimizer) for key, optimizer in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "OptimizerMap":
        deserialize = _serialization().deserialize
        default = deserialize(config["default_optimizer"], custom_objects)
        serialized = config.get("optimizer_map") or {}
        mapping = {key: deserialize(value, custom_objects) for key, value in serialized.items()}
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Delegates each variable to its own optimizer, chosen by an ``OptimizerMap`` or a function.

    The inner optimizers keep their own learning rates, slots and step
    counts; ``variables`` lists the MultiOptimizer's ``iteration`` and
    (unused) ``learning_rate`` first, then each inner optimizer's variables.
    There is no single learning rate: read and set it on ``optimizers``.

    Args:
        optimizer_map: an ``OptimizerMap``, or a function ``variable -> optimizer``.
        loss_scale_factor: if set, overrides every inner optimizer's ``loss_scale_factor``.
        name: prefix of the optimizer's own variable paths.

    Example:

    >>> import loom
    >>> encoder, head = loom.Variable([1.0], name="encoder"), loom.Variable([1.0], name="head")
    >>> optimizer = MultiOptimizer(OptimizerMap(loom.optimizers.SGD(0.5), {"enc.*": loom.optimizers.SGD(0.1)}))
    >>> optimizer.apply([[1.0], [1.0]], [encoder, head])
    >>> round(float(encoder.numpy()[0]), 4), float(head.numpy()[0])
    (0.9, 0.5)
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(
                "MultiOptimizer: `optimizer_map` must be an OptimizerMap or a function variable -> optimizer; "
                f"received {optimizer_map!r}."
            )
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        # Keras's order: the mapped optimizers, then the default, then any a function returns at build time.
        mapped = list(optimizer_map.values()) if isinstance(optimizer_map, MutableMapping) else []
        for optimizer in mapped + [getattr(optimizer_map, "default_optimizer", None)]:
            if optimizer is not None:
                self._add_inner(optimizer)

    def _add_inner(self, optimizer) -> int:
        if not any(optimizer is known for known in self._inner_optimizers):
            optimizer.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(optimizer)
        return next(i for i, known in enumerate(self._inner_optimizers) if known is optimizer)

    @property
    def optimizers(self) -> list:
        """The inner optimizers, in the order their variables follow in ``variables``."""
        return list(self._inner_optimizers)

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    def build(self, var_list) -> None:
        """Picks each variable's optimizer and builds every inner optimizer on its variables."""
        if self.built:
            return
        var_list = list(var_list)
        self._inner_index = {}
        groups = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            _check_inner(optimizer, f"The optimizer chosen for variable '{variable.path}'")
            index = self._add_inner(optimizer)
            self._inner_index[id(variable)] = index
            groups.setdefault(index, []).append(variable)
        for index, variables in groups.items():
            self._inner_optimizers[index].build(variables)
        self._trainable_variables = var_list
        self._indices = {id(variable): i for i, variable in enumerate(var_list)}
        self.built = True

    @property
    def variables(self) -> list:
        """Own ``iteration`` and ``learning_rate``, then each inner optimizer's variables."""
        return list(self._variables) + [v for optimizer in self._inner_optimizers for v in optimizer.variables]

    @property
    def iterations(self):
        return self._iterations

    @property
    def learning_rate(self):
        raise AttributeError(
            "A MultiOptimizer has no single learning rate; read it on one of `optimizer.optimizers` instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "A MultiOptimizer has no single learning rate; set it on one of `optimizer.optimizers` instead."
        )

    def apply(self, grads, trainable_variables=None) -> None:
        """Hands each inner optimizer the gradients of its variables; counts one step.

        Args:
            grads: one gradient (or None) per variable.
            trainable_variables: the Variables; may be left out once built.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list "
                    "of variables. Call `optimizer.build(trainable_variables)` first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Received {len(grads)} gradients for {len(trainable_variables)} variables; pass one gradient "
                "per variable."
            )
        if all(gradient is None for gradient in grads):
            raise ValueError("No gradients provided for any variable.")
        groups = {}
        for gradient, variable in zip(grads, trainable_variables):
            if id(variable) not in self._inner_index:
                raise ValueError(
                    f"Unknown variable: {variable}. This optimizer can only be called for the variables it was "
                    "originally built with. When working with a new set of variables, create a new optimizer."
                )
            gradients, variables = groups.setdefault(self._inner_index[id(variable)], ([], []))
            gradients.append(gradient)
            variables.append(variable)
        for index, (gradients, variables) in groups.items():
            if any(gradient is not None for gradient in gradients):  # a frozen group is left alone
                self._inner_optimizers[index].apply(gradients, variables)
        self._iterations.assign(self._iterations.value + 1)

    def finalize_variable_values(self, var_list) -> None:
        groups = {}
        for variable in var_list:
            groups.setdefault(self._inner_index[id(variable)], []).append(variable)
        for index, variables in groups.items():
            self._inner_optimizers[index].finalize_variable_values(variables)

    def get_config(self) -> dict:
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise ValueError(
                f"MultiOptimizer '{self.name}' picks optimizers with a function ({self._optimizer_map!r}), which "
                "cannot be serialized. Use an OptimizerMap to save it."
            )
        optimizer_map = {
            "module": "loom.optimizers",
            "class_name": "OptimizerMap",
            "config": self._optimizer_map.get_config(),
            "registered_name": None,
        }
        return {
            "optimizer_map": optimizer_map,
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "MultiOptimizer":
        config = dict(config)
        optimizer_map = config.pop("optimizer_map")
        if isinstance(optimizer_map, dict):  # serialized as {"class_name": "OptimizerMap", "config": {...}}
            optimizer_map = OptimizerMap.from_config(optimizer_map["config"], custom_objects)
        return cls(optimizer_map, **config)
