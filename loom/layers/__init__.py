"""loom.layers: the Layer base class and every built-in layer."""

from loom.layers.core import Dense as Dense
from loom.layers.core import Identity as Identity
from loom.layers.core import Lambda as Lambda
from loom.layers.input_layer import Input as Input
from loom.layers.input_layer import InputLayer as InputLayer
from loom.layers.input_spec import InputSpec as InputSpec
from loom.layers.layer import Layer as Layer
