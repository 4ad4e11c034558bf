"""The ``.keras`` file as Keras 3 writes it: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``.

Keras's ``keras.models.load_model`` reads what ``write_keras_archive`` writes,
and loom reads what Keras writes. The config is in Keras's spelling (see
``keras_config``); the weights are Keras's HDF5 layout (see
``keras_weights_h5``). loom's extras ride in ``metadata.json`` under
``"loom"``, a key Keras never reads (it reads only ``config.json`` and the
weights): the SHA-256 of the weights member, checked on loading, and the
training seed, so ``fit`` resumes with the same random keys. No extra zip
members: Keras treats any fourth member as the start of an asset folder.

Reading applies loom's archive rules (``archive``: member names, counts,
sizes, overlaps, compression bombs, JSON limits); the members allowed are
the three above.
"""

import datetime
import hashlib
import io
import zipfile

from loom.saving import archive as archive_module
from loom.saving.atomic_write import atomic_open
from loom.saving.errors import ArchiveError, ConfigError, IntegrityError, SavingError

CONFIG = archive_module.CONFIG
METADATA = archive_module.METADATA
WEIGHTS_H5 = "model.weights.h5"
_WEIGHTS_NPZ = "model.weights.npz"
LOOM_SECTION = "loom"  # metadata.json's key for loom's extras
# The Keras release whose format loom writes (metadata.json's "keras_version"; Keras does not check it).
KERAS_VERSION = "3.15.1"


def _info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=archive_module.FIXED_DATE)
    info.compress_type = compress_type
    info.external_attr = 0o100644 << 16
    return info


def write_keras_archive(path, config: dict, weights_h5: bytes, loom_metadata: dict | None = None) -> None:
    """Write a ``.keras`` file atomically.

    Args:
        path: the file to create or replace.
        config: ``config.json``'s content, already in Keras's spelling.
        weights_h5: the bytes of ``model.weights.h5``.
        loom_metadata: loom's extras, stored under ``metadata.json["loom"]``
            beside the weights' SHA-256.
    """
    config_bytes = archive_module.dump_json(config, "the model config")
    extras = {
        **(loom_metadata or {}),
        "weights_sha256": hashlib.sha256(weights_h5).hexdigest(),
    }
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        LOOM_SECTION: extras,
    }
    metadata_bytes = archive_module.dump_json(metadata, "the metadata")
    with atomic_open(path, "wb") as handle, zipfile.ZipFile(handle, "w", allowZip64=True) as archive:
        archive.writestr(_info(METADATA, zipfile.ZIP_DEFLATED), metadata_bytes)
        archive.writestr(_info(CONFIG, zipfile.ZIP_DEFLATED), config_bytes)
        # Stored, as Keras stores it: h5py reads the member without inflating it first.
        archive.writestr(_info(WEIGHTS_H5, zipfile.ZIP_STORED), weights_h5)


class KerasArchive:
    """A checked ``.keras`` file held in memory.

    Attributes:
        path: where it was read from.
        config: the parsed ``config.json`` (Keras's spelling).
        metadata: the parsed ``metadata.json`` (``{}`` if absent).
        weights: the bytes of ``model.weights.h5``.
        loom: loom's extras from the metadata (``{}`` for a file Keras wrote).
    """

    def __init__(self, path, config: dict, metadata: dict, weights: bytes):
        self.path = path
        self.config = config
        self.metadata = metadata
        self.weights = weights
        section = metadata.get(LOOM_SECTION, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{METADATA} of {str(path)!r}: '{LOOM_SECTION}' must be an object.")
        self.loom = section

    @property
    def training_seed(self) -> int | None:
        seed = self.loom.get("training_seed")
        if seed is None:
            return None
        if type(seed) is not int or not 0 <= seed < 2**63:
            raise ConfigError(f"{METADATA} of {str(self.path)!r}: 'training_seed' must be a non-negative int.")
        return seed


def is_keras_layout(names) -> bool:
    """Whether a zip's members are Keras's (its weights member) rather than loom's own format."""
    return any(name in names for name in (WEIGHTS_H5, _WEIGHTS_NPZ))


def _check_members(reader, members: dict) -> None:
    if archive_module.WEIGHTS in members:
        reader.fail(
            f"holds both {archive_module.WEIGHTS} and Keras's {WEIGHTS_H5}; refusing to guess which weights are meant."
        )
    unknown = sorted(set(members) - {CONFIG, METADATA, WEIGHTS_H5, _WEIGHTS_NPZ})
    if unknown:
        shown = ", ".join(repr(name) for name in unknown[:10])
        reader.fail(
            f"holds {shown} besides Keras's {CONFIG}, {METADATA} and {WEIGHTS_H5}. loom reads Keras files of "
            "models without assets (lookup vocabularies, tokenizer files) and refuses to ignore part of a file."
        )
    if _WEIGHTS_NPZ in members:
        reader.fail(
            f"stores its weights as {_WEIGHTS_NPZ} (Keras's weights_format='npz'); loom reads {WEIGHTS_H5}. "
            "Save it again from Keras with the default weights format."
        )
    for name in (CONFIG, WEIGHTS_H5):
        if name not in members:
            reader.fail(f"has no {name}; members are {sorted(members)}.")


def _verify_weights(loaded: KerasArchive) -> None:
    expected = loaded.loom.get("weights_sha256")
    if expected is None:
        return  # written by Keras: nothing recorded to check against
    if not isinstance(expected, str) or len(expected) != 64:
        raise IntegrityError(f"{METADATA} of {str(loaded.path)!r}: 'weights_sha256' must be 64 hex digits.")
    actual = hashlib.sha256(loaded.weights).hexdigest()
    if actual != expected:
        raise IntegrityError(
            f"Model file {str(loaded.path)!r}: {WEIGHTS_H5} has SHA-256 {actual[:16]}..., not the "
            f"{expected[:16]}... recorded when loom wrote it; the weights were damaged or edited. "
            "Save the model again from a good copy.",
            tensors=[WEIGHTS_H5],
        )


def read_open_keras_archive(handle, path, verify: bool = True) -> KerasArchive:
    """Read and check a ``.keras`` file open for binary reading; every byte comes through ``handle``
    (``verify=False`` skips the weights' SHA-256 check, for the inspector, which reports it).

    Raises:
        ArchiveError: the zip is damaged, hostile or holds members beyond Keras's three.
        ConfigError: the JSON is malformed or beyond loom's limits.
        IntegrityError: the weights differ from the SHA-256 loom recorded.
    """
    reader = archive_module.Reader(path, handle)
    if not archive_module.starts_like_zip(handle):
        reader.fail("is not a zip archive (a .keras model file is a zip with config.json).")
    try:
        with zipfile.ZipFile(handle) as archive:
            members = reader.check_members(archive)
            _check_members(reader, members)
            metadata = {}
            if METADATA in members:
                data = reader.read_member(archive, members[METADATA], archive_module.MAX_METADATA_BYTES)
                metadata = archive_module.json_object(data, METADATA, path, archive_module.MAX_METADATA_BYTES)
            data = reader.read_member(archive, members[CONFIG], archive_module.MAX_CONFIG_BYTES)
            config = archive_module.json_object(data, CONFIG, path, archive_module.MAX_CONFIG_BYTES)
            weights = reader.read_member(archive, members[WEIGHTS_H5], reader.size)
    except SavingError:
        raise
    except archive_module.ZIP_ERRORS as err:
        raise ArchiveError(f"Model file {str(path)!r} is corrupt or truncated: {type(err).__name__}: {err}") from err
    loaded = KerasArchive(path, config, metadata, weights)
    if verify:
        _verify_weights(loaded)
    return loaded


def weights_file(loaded: KerasArchive):
    """The weights member as a binary file object, for the HDF5 reader."""
    return io.BytesIO(loaded.weights)
