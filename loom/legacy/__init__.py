"""loom.legacy: run Keras 1 code (``Graph``, ``Merge``, Keras 1 argument names) on loom.

Keras 1 built multi-input models with the ``Graph`` container and joined
tensors with ``Merge(mode=...)``; Keras 2 replaced both with the functional
API. This package keeps those calls working, each built from the functional
API rather than beside it: a ``Graph`` is a functional model with named
inputs and outputs, and ``Merge`` returns loom's merge layers. Their
docstrings and error messages show the modern spelling:

=============================================  ====================================================
Keras 1                                        functional API
=============================================  ====================================================
``graph.add_input('a', input_shape=(8,))``     ``a = Input(shape=(8,), name='a')``
``graph.add_node(Dense(4), 'h', input='a')``   ``h = Dense(4)(a)``
``add_node(layer, 'h', inputs=['a', 'b'])``    ``h = layer(Concatenate()([a, b]))``
``add_shared_node(layer, 's', inputs=[...],``  ``s = Add()([layer(a), layer(b)])``
``merge_mode='sum')``
``graph.add_output('out', input='h')``         ``Model({'a': a}, {'out': h})``
``graph.fit({'a': x, 'out': y}, nb_epoch=5)``  ``model.fit({'a': x}, {'out': y}, epochs=5)``
``Merge(mode='mul')([a, b])``                  ``Multiply()([a, b])``
``Merge([seq_a, seq_b], mode='concat')``       ``Concatenate()([seq_a.output, seq_b.output])``
``Dense(8, W_regularizer=l2(0.01))``           ``Dense(8, kernel_regularizer=l2(0.01))``
=============================================  ====================================================
"""

from loom.legacy.constraints import maxnorm as maxnorm
from loom.legacy.constraints import nonneg as nonneg
from loom.legacy.constraints import unitnorm as unitnorm
from loom.legacy.graph import Graph as Graph
from loom.legacy.layers import Dense as Dense
from loom.legacy.merge import BranchMerge as BranchMerge
from loom.legacy.merge import Merge as Merge
from loom.legacy.merge import merge as merge
