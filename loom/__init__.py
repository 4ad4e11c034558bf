"""loom: a Keras-compatible neural-network library on JAX.

``import loom as keras`` runs Keras 3 functional-API programs for every part
loom implements.
"""

from loom import activations as activations
from loom import callbacks as callbacks
from loom import constraints as constraints
from loom import initializers as initializers
from loom import layers as layers
from loom import losses as losses
from loom import metrics as metrics
from loom import models as models
from loom import ops as ops
from loom import optimizers as optimizers
from loom import random as random
from loom import regularizers as regularizers
from loom import saving as saving
from loom import utils as utils
from loom.layers import Input as Input
from loom.layers import InputSpec as InputSpec
from loom.layers import Layer as Layer
from loom.models import Model as Model
from loom.models import Sequential as Sequential
from loom.state import Variable as Variable

__version__ = "0.1.0"
