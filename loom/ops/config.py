"""The fuzz factor ``epsilon`` that ops read when no epsilon is passed (Keras's ``backend.epsilon``).

Its home is ``loom.config``; ops import it from here.
"""

from loom.config.defaults import epsilon as epsilon
from loom.config.defaults import set_epsilon as set_epsilon
