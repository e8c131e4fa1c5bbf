"""Secret keys kept outside the repository and the database: a base64 key from an environment
variable, else a key file created on first use (0600, in a 0700 folder). Two processes
creating it at once end up with the same key (the file is linked in, never overwritten)."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from models.errors import CaseError
from settings import Settings

KEY_BYTES = 32


class KeyFileError(CaseError):
    """A key variable or key file is malformed or unreadable."""


def create_key_file(path: Path) -> None:
    """A new random key at ``path`` unless one is there: 0600 in a 0700 folder."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(os.urandom(KEY_BYTES)).decode() + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process was first: use its key
    finally:
        tmp.unlink()


def decode_key(text: str, where: str) -> bytes:
    """The 32 key bytes of base64 ``text``; KeyFileError naming ``where`` otherwise."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise KeyFileError(f"{where}: not base64 of a {KEY_BYTES}-byte key") from None
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{where}: the key is {len(key)} bytes, not {KEY_BYTES}")
    return key


def ensure_key(env_value: str, env_name: str, path: Path) -> bytes:
    """The key from the variable ``env_name`` when set, else from ``path`` (created first
    when missing)."""
    if env_value:
        return decode_key(env_value, env_name)
    create_key_file(path)
    try:
        return decode_key(path.read_text(encoding="ascii"), str(path))
    except OSError as err:
        raise KeyFileError(f"{path}: cannot read the key ({err.strerror})") from None


def ensure_case_id_key(settings: Settings) -> bytes:
    """The key case ids are derived with (models/ids.py): ``TOSHIN_CASE_ID_KEY``, else the key
    file (``var/keys/case_id.key``, beside the keyring)."""
    return ensure_key(
        settings.case_id_key.get_secret_value(), "TOSHIN_CASE_ID_KEY", settings.case_id_key_path
    )
