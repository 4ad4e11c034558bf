"""Keras's ``keras.preprocessing.sequence``: ``pad_sequences``, whose home is ``loom.utils``."""

from loom.utils.sequence_padding import pad_sequences as pad_sequences
