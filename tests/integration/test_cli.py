"""The CLI as a person meets it: real processes against the real server, one clear line and
a non-zero exit code for bad input, --json for scripts."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.accounts import account_token
from tests.integration.conftest import System
from tests.keys import TEST_KEYRING_ENV

DOC = """\
kind: external_linkage
title: CLIテスト結合
department: 保健センター
affair: {name: 住民記録, purpose: 事務の効率化}
record_items: [氏名, 住所]
counterparty: 国
reason: 法令に基づく
linkage_form: 専用回線
planned_start: {year: 2031, month: 5, jun: middle}
operational_measures: [{text: 研修を行う, criterion: f}]
system_measures: [{text: 暗号化, criterion: c}]
"""


async def cli(
    system: System, *args: str, env_extra: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run `starter.py ARGS` as a real process against the test server and read model, signed
    in as the operator account (``env_extra`` may sign in as another)."""
    env = {
        **os.environ,
        "TOSHIN_TEMPORAL_ADDRESS": system.client.service_client.config.target_host,
        "TOSHIN_TASK_QUEUE": system.settings.task_queue,
        "TOSHIN_DATABASE_URL": system.settings.read_model_url,
        "TOSHIN_DATA_DIR": str(system.settings.data_dir),
        "TOSHIN_KEYRING": TEST_KEYRING_ENV,
        "TOSHIN_TOKEN": account_token(system.settings),
        **(env_extra or {}),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "starter.py"),
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def _files(tmp: Path) -> dict[str, Path]:
    files = {
        "doc": DOC,
        "malformed": "kind: [external_linkage\ntitle: x\n",
        "unknown_field": DOC + "favourite_colour: blue\n",
        "missing_title": DOC.replace("title: CLIテスト結合\n", ""),
        "bad_enum": DOC.replace("kind: external_linkage", "kind: teleportation"),
    }
    paths = {}
    for name, text in files.items():
        paths[name] = tmp / f"{name}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


async def test_create_act_show_list_with_json(system: System, tmp_path: Path) -> None:
    files = _files(tmp_path)
    code, out, err = await cli(
        system, "case", "create", str(files["doc"]), "--ref", "CLI-1", "--json"
    )
    assert code == 0, err
    case_id = json.loads(out)["case_id"]

    code, out, _ = await cli(
        system, "case", "act", case_id, "submit", "--as", "department", "--json"
    )
    assert code == 0 and json.loads(out)["state"] == "triage"

    code, out, _ = await cli(system, "case", "show", case_id, "--as", "secretariat")
    assert code == 0
    assert "事前協議" in out and "require_consultation" in out and "operator 太郎" in out

    code, out, _ = await cli(
        system, "case", "list", "--state", "triage", "--department", "保健センター", "--json"
    )
    assert [row["case_id"] for row in json.loads(out)] == [case_id]
    code, out, _ = await cli(system, "case", "list", "--department", "総務課", "--json")
    assert json.loads(out) == []


async def test_bad_input_gets_one_clear_line_and_changes_nothing(
    system: System, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    code, out, _ = await cli(
        system, "case", "create", str(files["doc"]), "--ref", "CLI-2", "--json"
    )
    case_id = json.loads(out)["case_id"]
    cases = [
        (["case", "create", str(files["malformed"])], "malformed"),
        (
            ["case", "create", str(files["unknown_field"])],
            "favourite_colour: Extra inputs are not permitted",
        ),
        (["case", "create", str(files["missing_title"])], "title: Field required"),
        (["case", "create", str(files["bad_enum"])], "kind: Input should be"),
        (["case", "create", str(files["doc"]), "--ref", "CLI-2"], "DuplicateCase"),
        (["case", "act", case_id, "decide", "--as", "council"], "InvalidTransition"),
        (["case", "act", case_id, "submit", "--as", "chair"], "RoleNotAllowed"),
        (
            ["case", "act", case_id, "withdraw", "--as", "department"],
            "payload.reason: Field required",
        ),
        (["case", "act", case_id, "submit", "--as", "engine"], "engine is not a person"),
        (["case", "act", "0000deadbeef", "submit", "--as", "department"], "CaseNotFound"),
        (["case", "show", "0000deadbeef"], "CaseNotFound"),
    ]
    for args, words in cases:
        code, _out, err = await cli(system, *args)
        assert code != 0, args
        assert words in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
    rows = system.sql("select case_id, state, seq from cases")
    assert rows == [(case_id, "draft", 0)]


async def test_admin_failed_lists_nothing_when_all_is_well(system: System) -> None:
    code, out, err = await cli(system, "admin", "failed", "--json")
    assert code == 0, err
    assert json.loads(out) == []
