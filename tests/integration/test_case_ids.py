"""Case ids an outsider cannot guess: two deployments with different case-id keys give the same
external reference different ids, neither the public uuid5 anyone could compute; the same
reference twice under one key is refused, and so is a reference a case made before ids were
keyed already has."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from edge.cases import CaseService
from models.errors import DuplicateCase
from models.ids import legacy_case_id
from tests.factories import actor, document
from tests.integration.conftest import System


class LegacyIds(CaseService):
    """The case service as it was before ids were keyed (uuid5 of the reference)."""

    def case_id_for(self, external_ref: str | None) -> str:
        assert external_ref
        return legacy_case_id(self.municipality.name, external_ref)


def _keyed(system: System, key: bytes) -> CaseService:
    settings = system.settings.model_copy(
        update={"case_id_key": SecretStr(base64.b64encode(key).decode())}
    )
    return CaseService(system.client, settings, system.gateway.municipality)


async def test_ids_differ_by_key_and_duplicates_are_refused(system: System) -> None:
    ref = "諮問第870号"
    town = system.gateway.municipality.name
    one = await _keyed(system, bytes(32)).create_case(
        document=document(), actor=actor("department"), external_ref=ref
    )
    other = _keyed(system, bytes([7]) * 32).case_id_for(ref)
    assert one.case_id != other
    assert legacy_case_id(town, ref) not in (one.case_id, other)

    with pytest.raises(DuplicateCase, match="external_ref"):
        await _keyed(system, bytes(32)).create_case(
            document=document(), actor=actor("department"), external_ref=ref
        )

    old = await LegacyIds(system.client, system.settings, system.gateway.municipality).create_case(
        document=document(), actor=actor("department"), external_ref="諮問第1号"
    )
    assert old.case_id == legacy_case_id(town, "諮問第1号")
    with pytest.raises(DuplicateCase, match=old.case_id):
        await system.gateway.create_case(
            document=document(), actor=actor("department"), external_ref="諮問第1号"
        )
    # the key file was made on first use, beside the other keys
    assert (system.settings.data_dir / "keys" / "case_id.key").exists()
