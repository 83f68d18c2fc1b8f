"""Files uploaded through the UI: safe names inside one folder, a size limit, supported types only."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from .config import SUPPORTED_SUFFIXES
from .errors import UnreadableFileError
from .load import SourceFile, Skipped, read_document

UPLOAD_PREFIX = "uploads/"


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: the last path part only, plain characters,
    no leading dots, at most 120 characters (the extension kept)."""
    base = re.split(r"[\\\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base, flags=re.UNICODE).strip(" .") or "document"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.lstrip(".")[:100] or "document"
    return f"{stem}.{ext[:10]}" if ext else stem


def save_uploads(uploads: Sequence[tuple[str, Path]], folder: Path,
                 max_bytes: int) -> tuple[list[SourceFile], list[Skipped]]:
    """Copy uploaded temp files into `folder` under safe names; refuse big, unsupported and
    unreadable ones. A file is read before it takes its name, so a refused upload leaves nothing
    behind and never overwrites the readable file of that name that the index was built from."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[SourceFile] = []
    skipped: list[Skipped] = []
    for original, temp in uploads:
        name = safe_name(original)
        size = Path(temp).stat().st_size
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(original, f"unsupported type (supported: {', '.join(SUPPORTED_SUFFIXES)})"))
            continue
        if size > max_bytes:
            skipped.append(Skipped(original, f"too large ({size / 1e6:.1f} MB; the upload limit is "
                                             f"{max_bytes / 1e6:.0f} MB)"))
            continue
        target = (folder / name).resolve()
        if target.parent != folder.resolve():  # cannot happen after safe_name; checked anyway
            skipped.append(Skipped(original, "unsafe file name"))
            continue
        # A hidden file of its own beside the target, with the target's suffix (read as its type).
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=target.suffix)
        os.close(fd)
        incoming = Path(tmp)
        try:
            shutil.copyfile(temp, incoming)
            if not read_document(incoming).text.strip():
                raise UnreadableFileError("no text in it")
            os.replace(incoming, target)
        except UnreadableFileError as exc:
            skipped.append(Skipped(original, str(exc)))
            continue
        except Exception as exc:  # a reader library failing on odd input: refuse this file only
            skipped.append(Skipped(original, f"could not be read ({type(exc).__name__})"))
            continue
        finally:
            incoming.unlink(missing_ok=True)
        saved.append(SourceFile(target, UPLOAD_PREFIX + name))
    return saved, skipped
