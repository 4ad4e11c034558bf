"""loom.mixed_precision: Keras's mixed-precision names (dtype policies and loss scaling).

Train in half precision with float32 weights by setting a policy before building
the model, ``loom.mixed_precision.set_dtype_policy("mixed_float16")``; keep the
last layer in float32 (``Activation("softmax", dtype="float32")``) so the
probabilities and the loss are computed in full precision. With float16,
``compile`` wraps the optimizer in a ``LossScaleOptimizer``.
"""

from loom.config.dtype_policies import DTypePolicy as DTypePolicy
from loom.config.dtype_policies import dtype_policy as dtype_policy
from loom.config.dtype_policies import set_dtype_policy as set_dtype_policy
from loom.optimizers.loss_scale_optimizer import LossScaleOptimizer as LossScaleOptimizer

# Keras's older names for the same things.
Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy
