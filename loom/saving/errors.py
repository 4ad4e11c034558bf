"""The errors loom raises when a model file cannot be written or safely read.

Every one is a ``ValueError`` (the type Keras users already catch), so
``except ValueError`` keeps working; catch ``SavingError`` for all of loom's
saving problems at once. A file that does not exist raises the usual
``FileNotFoundError``. Loading a hostile or damaged file raises only these
classes (the fuzz tests in ``tests/saving`` hold the loader to that).

- ``ArchiveError``: the model file is not a sound zip archive (truncated,
  corrupt, members with absolute paths, ``..`` or links, duplicate or
  overlapping members, sizes beyond the limits, compression bombs).
- ``WeightsFileError``: a safetensors file is malformed (header length,
  JSON, offsets, dtypes, path-like or duplicate tensor names).
- ``IntegrityError``: a tensor's bytes differ from the SHA-256 digest recorded
  when the file was written (a flipped bit, tensors swapped or edited); its
  ``tensors`` attribute names them.
- ``WeightsMismatchError``: the weights do not fit the model (missing,
  unexpected, or of another shape or dtype); its attributes list which.
- ``NonFiniteWeightsError``: the weights hold NaN or Inf and the caller passed
  ``allow_nonfinite=False``; its ``tensors`` attribute names them.
- ``ConfigError``: ``config.json`` or ``metadata.json`` is malformed (too
  large, too deeply nested, duplicate keys, a format version this loom does
  not know) or describes a model that cannot be built.
- ``UnknownObjectError``: the config names a class or function that is not a
  loom built-in, not registered and not in ``custom_objects``.
- ``UnsafeCodeError``: the file holds code (a ``Lambda``'s source) that safe
  mode refuses to run; the message names the construct and its line.
- ``SerializationError``: an object cannot be saved (a function without
  source, an unsupported captured value).
"""


class SavingError(ValueError):
    """Base class of loom's saving and loading errors."""


class ArchiveError(SavingError):
    """The model archive (zip) is damaged, hostile or beyond the size limits."""


class WeightsFileError(SavingError):
    """A safetensors file is malformed or names its tensors unsafely."""


class IntegrityError(WeightsFileError):
    """Stored tensors differ from the SHA-256 digests recorded when the file was written.

    Attributes:
        tensors: the names of the tensors whose bytes do not match.
    """

    def __init__(self, message: str, tensors=()):
        super().__init__(message)
        self.tensors = list(tensors)


class NonFiniteWeightsError(SavingError):
    """Loaded weights hold NaN or Inf values, and the caller refused them (``allow_nonfinite=False``).

    Attributes:
        tensors: the names of the tensors holding NaN or Inf.
    """

    def __init__(self, message: str, tensors=()):
        super().__init__(message)
        self.tensors = list(tensors)


class WeightsMismatchError(SavingError):
    """Saved weights do not match the model's weights.

    Attributes:
        missing: keys the model has but the file lacks.
        unexpected: keys the file has but the model lacks.
        mismatched: ``(key, saved shape/dtype, expected shape/dtype)`` triples.
    """

    def __init__(self, message: str, missing=(), unexpected=(), mismatched=()):
        super().__init__(message)
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self.mismatched = list(mismatched)


class ConfigError(SavingError):
    """The saved configuration is malformed or does not describe a buildable model."""


class UnknownObjectError(ConfigError):
    """The configuration names a class or function loom will not build."""


class UnsafeCodeError(ConfigError):
    """Safe mode refused the code stored in the file (a Lambda's source)."""


class SerializationError(SavingError):
    """An object cannot be written to a model file."""
