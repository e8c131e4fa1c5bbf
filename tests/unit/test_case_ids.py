"""Case ids derived with a secret: the id of an external reference is an HMAC under the case-id
key, so it differs under another key and cannot be computed from the reference alone; the key
comes from TOSHIN_CASE_ID_KEY or a key file made 0600 on first use."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from edge.keyfiles import KeyFileError, ensure_key
from models.ids import legacy_case_id, new_case_id

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def test_the_id_of_a_reference_depends_on_the_key() -> None:
    a = new_case_id(KEY_A, "藤沢市", "諮問第870号")
    assert a == new_case_id(KEY_A, "藤沢市", "諮問第870号")  # the same case, the same id
    assert len(a) == 12 and int(a, 16) >= 0
    assert a != new_case_id(KEY_B, "藤沢市", "諮問第870号")
    assert a != new_case_id(KEY_A, "藤沢市", "諮問第871号")
    assert a != new_case_id(KEY_A, "新宿区", "諮問第870号")
    # what anyone could compute before: the public uuid5 of the reference
    assert a != legacy_case_id("藤沢市", "諮問第870号")
    assert new_case_id(b"", "藤沢市", "諮問第870号") != a  # no key, no id


def test_a_case_without_a_reference_gets_a_random_id() -> None:
    assert new_case_id(KEY_A, "藤沢市", None) != new_case_id(KEY_A, "藤沢市", None)


def test_the_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "case_id.key"
    key = ensure_key("", "TOSHIN_CASE_ID_KEY", path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_key("", "TOSHIN_CASE_ID_KEY", path) == key  # kept, not replaced


def test_the_variable_wins_and_a_bad_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "case_id.key"
    env = base64.b64encode(KEY_B).decode()
    assert ensure_key(env, "TOSHIN_CASE_ID_KEY", path) == KEY_B
    assert not path.exists()
    with pytest.raises(KeyFileError, match=r"^TOSHIN_CASE_ID_KEY: not base64"):
        ensure_key("not base64!", "TOSHIN_CASE_ID_KEY", path)
    with pytest.raises(KeyFileError, match=r"^TOSHIN_CASE_ID_KEY: the key is 3 bytes"):
        ensure_key(base64.b64encode(b"abc").decode(), "TOSHIN_CASE_ID_KEY", path)
