"""The library's own exceptions. Messages for people are made at the edges (CLI, UI)."""


class CitewiseError(Exception):
    """Base class: anything citewise raises on purpose."""


class UnreadableFileError(CitewiseError):
    """A file could not be turned into text (binary, undecodable, unsupported, I/O error)."""


class EmptyCorpusError(CitewiseError):
    """Ingest found no readable text in the given paths."""


class IndexNotFoundError(CitewiseError):
    """There is no index at the given folder."""


class IndexMismatchError(CitewiseError):
    """The index on disk was built with another model, dimension or format version."""


class IndexCorruptError(CitewiseError):
    """The index folder exists but a part of it is missing or damaged."""


class StoreUnavailableError(CitewiseError):
    """The vector store an index names (a Qdrant server or local folder) cannot be used."""


class IndexTargetError(CitewiseError):
    """The folder given for an index cannot take one (it holds other files, or cannot be written)."""


class IndexWriteError(CitewiseError):
    """The new index could not be written (a full disk, a folder turned read-only); the old one stands."""
