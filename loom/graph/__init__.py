"""The symbolic graph: tensors, nodes, shape inference, topology, replay."""

from loom.graph.node import Node as Node
from loom.graph.symbolic_tensor import SymbolicTensor as SymbolicTensor
