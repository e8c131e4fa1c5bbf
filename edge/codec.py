"""Payload encryption: a keyring, an AES-256-GCM payload codec, and THE data converter.

Every payload the engine writes (workflow inputs, update arguments, results, activity
arguments, failure messages and stack traces) passes through ``KeyringCodec``:

- encode: the serialized payload (metadata and data, as protobuf bytes) is sealed with the
  keyring's current key and a fresh 96-bit nonce; the new payload carries
  ``encoding: binary/encrypted`` and ``encryption-key-id: <id>``; its data is nonce ‖ ciphertext
  ‖ tag. The key id is also the associated data, so swapping the id is detected.
- decode: a payload with our encoding is opened with the key its id names (``UnknownKeyError``
  names an unknown id; ``TamperedPayloadError`` when the tag does not verify); any other
  payload passes through untouched, so histories recorded before encryption keep replaying.

Keys live outside the repo and the database: ``TOSHIN_KEYRING`` (base64 of the keyring JSON)
or the key file (``TOSHIN_KEYRING_FILE``, default ``var/keys/keyring.json``), created 0600 in a
0700 directory by the launcher on first start. The file format::

    {"current": "k-20261201-ab12", "keys": [{"id": "k-20261201-ab12",
      "created": "2026-12-01T10:00:00+00:00", "key": "<base64 of 32 bytes>"}]}

Errors::

    KeyringError           the keyring cannot be read, is malformed, or is missing
      UnknownKeyError      a payload names a key id the keyring does not hold
    TamperedPayloadError   the GCM tag does not verify (edited ciphertext or wrong key)
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from edge.converter import ModelPayloadConverter

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32


class KeyringError(Exception):
    """The keyring cannot be read, is malformed, or is missing."""


class UnknownKeyError(KeyringError):
    """A payload was encrypted with a key this keyring does not hold."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"payload encrypted with key {key_id!r}, which is not in the keyring "
            "(restore that key, or use the keyring of the system that wrote it)"
        )
        self.key_id = key_id


class TamperedPayloadError(Exception):
    """The payload's authentication tag does not verify."""


@dataclass(frozen=True)
class Key:
    id: str
    created: datetime
    secret: bytes = dataclasses.field(repr=False)

    def public(self) -> dict[str, str]:
        """Id and creation time: what `keys list` shows (never the key bytes)."""
        return {"id": self.id, "created": self.created.isoformat()}


@dataclass(frozen=True)
class Keyring:
    """Key id → 32-byte AES key; one current key encrypts, every key decrypts."""

    keys: tuple[Key, ...]
    current: str

    def __post_init__(self) -> None:
        ids = [k.id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise KeyringError("keyring holds the same key id twice")
        if self.current not in ids:
            raise KeyringError(f"keyring's current key {self.current!r} is not among its keys")
        for key in self.keys:
            if len(key.secret) != KEY_BYTES:
                raise KeyringError(f"key {key.id!r} is {len(key.secret)} bytes, not {KEY_BYTES}")

    def get(self, key_id: str) -> Key:
        for key in self.keys:
            if key.id == key_id:
                return key
        raise UnknownKeyError(key_id)

    @property
    def current_key(self) -> Key:
        return self.get(self.current)

    @classmethod
    def generate(cls) -> Keyring:
        key = new_key()
        return cls(keys=(key,), current=key.id)

    def seal(self, plain: bytes, context: bytes = b"") -> bytes:
        """Bytes at rest (read-model columns, files): ``key id ‖ 0x00 ‖ nonce ‖ ciphertext ‖
        tag`` under the current key; ``context`` (e.g. a table and row id) is bound as associated
        data, so a sealed value moved to another row does not open."""
        key = self.current_key
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key.secret).encrypt(nonce, plain, key.id.encode() + b"\x00" + context)
        return key.id.encode() + b"\x00" + nonce + sealed

    def open(self, blob: bytes, context: bytes = b"") -> bytes:
        """What ``seal`` sealed, with whichever key it names."""
        key_id, sep, rest = blob.partition(b"\x00")
        if not sep:
            raise TamperedPayloadError("sealed value has no key id: not written by seal()")
        key = self.get(key_id.decode(errors="replace"))
        nonce, sealed = rest[:NONCE_BYTES], rest[NONCE_BYTES:]
        try:
            return AESGCM(key.secret).decrypt(nonce, sealed, key_id + b"\x00" + context)
        except InvalidTag:
            raise TamperedPayloadError(
                f"sealed value under key {key.id!r} does not verify: altered, moved or not ours"
            ) from None

    def rotated(self) -> Keyring:
        """A new current key; the old ones stay to decrypt what they wrote."""
        key = new_key()
        return Keyring(keys=(*self.keys, key), current=key.id)

    # -- the JSON form (key file and TOSHIN_KEYRING) ----------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "keys": [
                    {**k.public(), "key": base64.b64encode(k.secret).decode()} for k in self.keys
                ],
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            raw = json.loads(text)
            keys = tuple(
                Key(
                    id=str(k["id"]),
                    created=datetime.fromisoformat(k["created"]),
                    secret=base64.b64decode(k["key"], validate=True),
                )
                for k in raw["keys"]
            )
            return cls(keys=keys, current=str(raw["current"]))
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise KeyringError(f"malformed keyring: {exc}") from None


def new_key() -> Key:
    now = datetime.now(UTC).replace(microsecond=0)
    return Key(
        id=f"k-{now:%Y%m%d%H%M%S}-{secrets.token_hex(2)}",
        created=now,
        secret=AESGCM.generate_key(bit_length=256),
    )


# -- where keys live ----------------------------------------------------------------------


def load_keyring(env_value: str, path: Path) -> Keyring:
    """The keyring from ``TOSHIN_KEYRING`` (base64 JSON) when set, else from the key file."""
    if env_value:
        try:
            text = base64.b64decode(env_value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise KeyringError(f"TOSHIN_KEYRING is not base64 of the keyring JSON: {exc}") from None
        return Keyring.from_json(text)
    try:
        return Keyring.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyringError(
            f"no keyring at {path} and TOSHIN_KEYRING is unset: start with `./toshin up` "
            "(it creates one) or `python starter.py keys init`"
        ) from None


def write_keyring(keyring: Keyring, path: Path) -> None:
    """Write the key file 0600 in a 0700 directory, atomically (never readable by others)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(keyring.to_json())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_keyring(env_value: str, path: Path) -> Keyring:
    """The configured keyring; a new key file when neither the variable nor the file exists."""
    if not env_value and not path.exists():
        write_keyring(Keyring.generate(), path)
    return load_keyring(env_value, path)


# -- the codec and the converter ----------------------------------------------------------


class KeyringCodec(PayloadCodec):
    """AES-256-GCM with the keyring's current key; decodes with whichever key a payload names."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key = self.keyring.current_key
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key.secret).encrypt(nonce, payload.SerializeToString(), key.id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key.id.encode()}, data=nonce + sealed
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # not ours: written before encryption, pass through
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        key = self.keyring.get(key_id)
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = AESGCM(key.secret).decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise TamperedPayloadError(
                f"payload under key {key_id!r} does not verify: altered or not written by us"
            ) from None
        return Payload.FromString(plain)


def data_converter(keyring: Keyring) -> DataConverter:
    """THE data converter: pydantic JSON (a model's refusal is InvalidPayload), payloads and
    failure details encrypted."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=ModelPayloadConverter,
        payload_codec=KeyringCodec(keyring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


# -- the codec server protocol (the desk's /codec endpoint for the Temporal Web UI) ----------


class PayloadsJsonError(ValueError):
    """A codec request's body is not ``{"payloads": [...]}`` in protobuf JSON."""


async def convert_payloads_json(
    body: bytes, keyring: Keyring, operation: Literal["decode", "encode"]
) -> tuple[dict[str, Any], int]:
    """Temporal's codec server protocol: the payloads of ``body`` decrypted (``decode``) or
    encrypted (``encode``), in the same JSON shape, and how many there were."""
    try:
        payloads = json_format.Parse(body, Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as err:
        raise PayloadsJsonError(f"not Temporal payloads JSON ({err})") from None
    codec = KeyringCodec(keyring)
    items = list(payloads.payloads)
    done = await (codec.decode(items) if operation == "decode" else codec.encode(items))
    return json_format.MessageToDict(Payloads(payloads=done)), len(items)
