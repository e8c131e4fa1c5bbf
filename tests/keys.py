"""The tests' keyring and data converter: a fixed, public test key (never a real one), so a
worker in a child process and the fixtures in this one read each other's payloads."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from edge.codec import Key, Keyring, data_converter
from persistence.seal import Sealer

TEST_KEY = Key(
    id="test-1",
    created=datetime(2026, 1, 1, tzinfo=UTC),
    secret=hashlib.sha256(b"toshin test key 1: not a secret").digest(),
)
TEST_KEYRING = Keyring(keys=(TEST_KEY,), current=TEST_KEY.id)
TEST_CONVERTER = data_converter(TEST_KEYRING)
# what a child process (the CLI under test) gets as TOSHIN_KEYRING
TEST_KEYRING_ENV = base64.b64encode(TEST_KEYRING.to_json().encode()).decode()

# the audit trail's HMAC key (edge/audit.py): public, for tests only
TEST_AUDIT_SEALER = Sealer(hashlib.sha256(b"toshin test audit key: not a secret").digest())
TEST_AUDIT_KEY_ENV = base64.b64encode(TEST_AUDIT_SEALER.key).decode()
