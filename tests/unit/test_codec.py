"""edge/codec.py: the keyring, the AES-GCM codec and the key file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload

from edge.codec import (
    ENCODING,
    KEY_ID,
    Keyring,
    KeyringCodec,
    KeyringError,
    TamperedPayloadError,
    UnknownKeyError,
    data_converter,
    ensure_keyring,
    load_keyring,
    write_keyring,
)
from tests.keys import TEST_KEYRING

SECRET = "山田花子 090-1234-5678 東京都千代田区霞が関1-2-3"


class Applicant(BaseModel):
    name: str


def plain(text: str = SECRET) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_round_trip_hides_the_plaintext() -> None:
    codec = KeyringCodec(TEST_KEYRING)
    [sealed] = await codec.encode([plain()])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"test-1"
    assert SECRET.encode() not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [plain()]


async def test_fresh_nonce_per_payload() -> None:
    codec = KeyringCodec(TEST_KEYRING)
    first, second = await codec.encode([plain(), plain()])
    assert first.data != second.data


async def test_converter_round_trips_models() -> None:
    converter = data_converter(TEST_KEYRING)
    [payload] = await converter.encode([Applicant(name=SECRET)])
    assert SECRET.encode() not in payload.SerializeToString()
    assert await converter.decode([payload], [Applicant]) == [Applicant(name=SECRET)]


async def test_tampered_ciphertext_is_an_error() -> None:
    codec = KeyringCodec(TEST_KEYRING)
    [sealed] = await codec.encode([plain()])
    data = bytearray(sealed.data)
    data[-1] ^= 1
    sealed.data = bytes(data)
    with pytest.raises(TamperedPayloadError, match="test-1"):
        await codec.decode([sealed])


async def test_unknown_key_id_is_named() -> None:
    [sealed] = await KeyringCodec(TEST_KEYRING.rotated()).encode([plain()])
    key_id = sealed.metadata[KEY_ID].decode()
    with pytest.raises(UnknownKeyError, match=key_id):
        await KeyringCodec(TEST_KEYRING).decode([sealed])


async def test_plain_payloads_pass_through() -> None:
    """Histories recorded before encryption keep replaying."""
    codec = KeyringCodec(TEST_KEYRING)
    assert await codec.decode([plain()]) == [plain()]


async def test_rotation_keeps_old_payloads_readable() -> None:
    [old] = await KeyringCodec(TEST_KEYRING).encode([plain("old")])
    rotated = TEST_KEYRING.rotated()
    assert rotated.current != TEST_KEYRING.current
    codec = KeyringCodec(rotated)
    [new] = await codec.encode([plain("new")])
    assert new.metadata[KEY_ID] == rotated.current.encode()
    assert await codec.decode([old, new]) == [plain("old"), plain("new")]


def test_key_file_is_0600_in_a_0700_dir(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "keyring.json"
    keyring = ensure_keyring("", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_keyring("", path) == keyring  # created once, then read
    write_keyring(keyring.rotated(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(load_keyring("", path).keys) == 2


def test_environment_variable_wins(tmp_path: Path) -> None:
    env = base64.b64encode(TEST_KEYRING.to_json().encode()).decode()
    assert load_keyring(env, tmp_path / "absent.json") == TEST_KEYRING
    assert not (tmp_path / "absent.json").exists()


def test_missing_or_malformed_keyring_is_clear(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="no keyring at"):
        load_keyring("", tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(KeyringError, match="malformed"):
        load_keyring("", tmp_path / "bad.json")


def test_key_bytes_never_in_repr() -> None:
    secret = base64.b64encode(TEST_KEYRING.current_key.secret).decode()
    assert secret not in repr(TEST_KEYRING)
    assert "secret" not in TEST_KEYRING.current_key.public()


def test_sealed_bytes_open_with_their_key_after_rotation_and_not_in_another_row() -> None:
    ring = Keyring.generate()
    blob = ring.seal("山田 太郎".encode(), b"people:1")
    assert "山田".encode() not in blob
    rotated = ring.rotated()
    assert rotated.open(blob, b"people:1").decode() == "山田 太郎"
    with pytest.raises(TamperedPayloadError):
        rotated.open(blob, b"people:2")
    with pytest.raises(UnknownKeyError):
        Keyring.generate().open(blob, b"people:1")
