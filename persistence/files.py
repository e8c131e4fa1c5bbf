"""Files at rest: generated documents and evidence files, written owner-only (files 0600 in
0700 folders) and, with ``encrypt_documents`` (``TOSHIN_ENCRYPT_DOCUMENTS``), sealed with the
keyring (``Keyring.seal``) bound to the file's case (or session) and name, so a sealed file
moved to another case or renamed does not open.

A sealed file is ``MAGIC`` ‖ the sealed bytes; any other file is plain (written before the
setting, or with it off), so turning the setting on or off never strands a file. The SHA-256
recorded for a file is always that of its plain bytes: readers open, then check the hash.
Layout: ``<root>/<case or session id>/<name>``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from persistence.people import SealingKeyring

MAGIC = b"toshin sealed file v1\n"
_CONTEXT = b"toshin file\x00"
_CHUNK = 1 << 20


class SealedFileError(Exception):
    """A sealed file cannot be opened: no keyring given, or it does not verify."""


def file_context(path: Path) -> bytes:
    """What a file's seal is bound to: its folder (the case or session id) and its name."""
    return _CONTEXT + f"{path.parent.name}/{path.name}".encode()


def private_folder(folder: Path, root: Path) -> None:
    """``folder`` (under ``root``) and every folder between, created 0700 and kept so."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    inside = folder.relative_to(root)
    for part in (inside, *inside.parents):
        os.chmod(root / part, 0o700)


def write_private(
    path: Path, data: bytes, *, root: Path, keyring: SealingKeyring | None = None
) -> None:
    """Write ``data`` to ``path`` atomically, 0600 in 0700 folders; sealed when a keyring is
    given."""
    private_folder(path.parent, root)
    body = MAGIC + keyring.seal(data, file_context(path)) if keyring is not None else data
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(body)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def is_sealed(path: Path) -> bool:
    with path.open("rb") as data:
        return data.read(len(MAGIC)) == MAGIC


def read_plain(path: Path, keyring: SealingKeyring | None) -> bytes:
    """The plain bytes of a stored file (opened when sealed). FileNotFoundError when it is
    gone; SealedFileError when it is sealed and does not open."""
    body = path.read_bytes()
    if not body.startswith(MAGIC):
        return body
    if keyring is None:
        raise SealedFileError(f"{path.name}: sealed, and no keyring to open it")
    try:
        return keyring.open(body[len(MAGIC) :], file_context(path))
    except Exception as err:  # the keyring's UnknownKeyError, TamperedPayloadError
        raise SealedFileError(f"{path.name}: sealed, and it does not open: {err}") from None


def plain_sha256(path: Path, keyring: SealingKeyring | None) -> str:
    """The SHA-256 of a stored file's plain bytes (a plain file is hashed as it streams)."""
    if is_sealed(path):
        return hashlib.sha256(read_plain(path, keyring)).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
