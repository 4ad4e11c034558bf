"""loom.preprocessing: Keras's ``keras.preprocessing`` names that loom provides (``sequence``)."""

from loom.preprocessing import sequence as sequence
