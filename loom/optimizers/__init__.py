"""Optimizers with Keras 3's names, arguments and results, built on optax."""

from loom.optimizers import schedules as schedules
from loom.optimizers.adadelta import Adadelta as Adadelta
from loom.optimizers.adafactor import Adafactor as Adafactor
from loom.optimizers.adagrad import Adagrad as Adagrad
from loom.optimizers.adam import Adam as Adam
from loom.optimizers.adam import AdamW as AdamW
from loom.optimizers.adamax import Adamax as Adamax
from loom.optimizers.ftrl import Ftrl as Ftrl
from loom.optimizers.lamb import Lamb as Lamb
from loom.optimizers.lion import Lion as Lion
from loom.optimizers.loss_scale_optimizer import LossScaleOptimizer as LossScaleOptimizer
from loom.optimizers.multi_optimizer import MultiOptimizer as MultiOptimizer
from loom.optimizers.multi_optimizer import OptimizerMap as OptimizerMap
from loom.optimizers.muon import Muon as Muon
from loom.optimizers.nadam import Nadam as Nadam
from loom.optimizers.optimizer import Optimizer as Optimizer
from loom.optimizers.rmsprop import RMSprop as RMSprop
from loom.optimizers.schedule_free_adamw import ScheduleFreeAdamW as ScheduleFreeAdamW
from loom.optimizers.serialization import deserialize as deserialize
from loom.optimizers.serialization import get as get
from loom.optimizers.serialization import serialize as serialize
from loom.optimizers.sgd import SGD as SGD
