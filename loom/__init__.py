"""loom: a Keras-compatible neural-network library on JAX.

``import loom as keras`` runs Keras 3 functional-API programs for every part
loom implements.
"""

from loom import activations as activations
from loom import applications as applications
from loom import backend as backend
from loom import callbacks as callbacks
from loom import config as config
from loom import constraints as constraints
from loom import datasets as datasets
from loom import distribution as distribution
from loom import initializers as initializers
from loom import layers as layers
from loom import legacy as legacy
from loom import losses as losses
from loom import metrics as metrics
from loom import mixed_precision as mixed_precision
from loom import models as models
from loom import ops as ops
from loom import optimizers as optimizers
from loom import preprocessing as preprocessing
from loom import random as random
from loom import regularizers as regularizers
from loom import saving as saving
from loom import utils as utils
from loom import wrappers as wrappers
from loom.graph import SymbolicTensor as SymbolicTensor
from loom.initializers import Initializer as Initializer
from loom.layers import Input as Input
from loom.layers import InputSpec as InputSpec
from loom.layers import Layer as Layer
from loom.layers.layer import DTypePolicy as DTypePolicy
from loom.losses import Loss as Loss
from loom.metrics import Metric as Metric
from loom.models import Model as Model
from loom.models import Sequential as Sequential
from loom.ops import Operation as Operation
from loom.optimizers import Optimizer as Optimizer
from loom.regularizers import Regularizer as Regularizer
from loom.state import StatelessScope as StatelessScope
from loom.state import Variable as Variable

# Keras's name for a symbolic tensor, for code that checks isinstance(x, keras.KerasTensor).
KerasTensor = SymbolicTensor

__version__ = "0.2.0"


def version() -> str:
    return __version__
