"""loom.distribution: one fit() over many devices and many processes, on ``jax.sharding``.

Keras 3's ``keras.distribution`` names: ``DeviceMesh``, ``TensorLayout``,
``LayoutMap``, ``DataParallel``, ``ModelParallel``, ``set_distribution`` /
``distribution()`` / ``Distribution.scope()``, ``initialize`` (several processes,
over ``jax.distributed``), ``list_devices``, ``get_device_count`` and
``distribute_tensor``; and ``layout_summary(model)``, a table of where each
variable lives. Set a distribution before building the model; ``fit``,
``evaluate``, ``predict`` and the single-batch methods then run each compiled chunk
as one SPMD program (see ``placement``).
"""

from loom.distribution.data_parallel import DataParallel as DataParallel
from loom.distribution.device_mesh import DeviceMesh as DeviceMesh
from loom.distribution.device_mesh import get_device_count as get_device_count
from loom.distribution.device_mesh import list_devices as list_devices
from loom.distribution.distribution import Distribution as Distribution
from loom.distribution.distribution import distribution as distribution
from loom.distribution.distribution import set_distribution as set_distribution
from loom.distribution.initialize import initialize as initialize
from loom.distribution.layout_map import LayoutMap as LayoutMap
from loom.distribution.layout_summary import layout_summary as layout_summary
from loom.distribution.model_parallel import ModelParallel as ModelParallel
from loom.distribution.tensor_layout import TensorLayout as TensorLayout
from loom.distribution.tensor_layout import distribute_tensor as distribute_tensor
