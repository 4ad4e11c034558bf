"""Keras 1's lower-case constraint names: ``maxnorm``, ``nonneg``, ``unitnorm``.

Keras 3 spells them ``max_norm``/``MaxNorm``, ``non_neg``/``NonNeg`` and
``unit_norm``/``UnitNorm``; these are the same classes.
"""

from loom.constraints import MaxNorm, NonNeg, UnitNorm

maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm
