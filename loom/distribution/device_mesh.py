"""DeviceMesh: the devices a distribution spreads a model and its data over, as a named grid.

A thin naming layer over ``jax.sharding.Mesh``: Keras's ``"cpu:3"``-style device
names in, JAX devices out. In several processes the mesh holds every process's
devices (``jax.devices()`` is global).
"""

import math

import jax
import numpy as np


def list_devices(device_type=None) -> list:
    """Every device of one type, as ``"<platform>:<id>"`` strings (all processes' devices).

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"``; default: the accelerator if
            there is one, else the CPU.
    """
    device_type = device_type.lower() if device_type else None
    return [f"{device.platform}:{device.id}" for device in jax.devices(device_type)]


def get_device_count(device_type=None) -> int:
    """How many devices of one type there are, in all processes (see ``list_devices``)."""
    device_type = device_type.lower() if device_type else None
    return jax.device_count(device_type)


def to_jax_device(device):
    """A JAX device from a JAX device or a ``"cpu:3"`` / ``"gpu"`` name."""
    if isinstance(device, jax.Device):
        return device
    name = str(device)
    platform, _, number = name.partition(":")
    number = int(number) if number else 0
    for candidate in jax.devices(platform):
        if candidate.id == number:
            return candidate
    known = [f"{d.platform}:{d.id}" for d in jax.devices(platform)]
    raise ValueError(f"No device named {name!r}; the {platform} devices here are {known}.")


class DeviceMesh:
    """A named grid of devices, e.g. ``DeviceMesh((2, 4), ("batch", "model"))``.

    Args:
        shape: the grid's shape; its product is the number of devices.
        axis_names: one name per axis; layouts refer to axes by these names.
        devices: the devices (names like ``"cpu:0"`` or JAX devices), in grid
            order; default: ``list_devices()``.
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(
                f"DeviceMesh needs a shape and axis names, e.g. DeviceMesh((8,), ('batch',)); "
                f"received shape={shape!r}, axis_names={axis_names!r}."
            )
        shape, axis_names = tuple(int(n) for n in shape), tuple(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(
                f"DeviceMesh: shape {shape} has {len(shape)} axes but axis_names {axis_names} names "
                f"{len(axis_names)}; give one name per axis."
            )
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"DeviceMesh: axis_names {axis_names} repeat a name; each axis needs its own.")
        devices = np.array(list_devices() if devices is None else devices, dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError(
                f"DeviceMesh: shape {shape} holds {math.prod(shape)} devices but {devices.size} were "
                f"given; pick a shape whose product is {devices.size}, or pass devices=... with "
                f"{math.prod(shape)} devices."
            )
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)
        self._jax_mesh = None

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def axis_names(self) -> tuple:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> jax.sharding.Mesh:
        """The ``jax.sharding.Mesh`` (made once)."""
        if self._jax_mesh is None:
            jax_devices = np.array([to_jax_device(d) for d in self._devices.flat], dtype=object)
            self._jax_mesh = jax.sharding.Mesh(jax_devices.reshape(self._shape), self._axis_names)
        return self._jax_mesh

    def axis_size(self, name: str) -> int:
        return self._shape[self._axis_names.index(name)]

    def __repr__(self):
        return f"<DeviceMesh shape={self._shape}, axis_names={self._axis_names}>"
