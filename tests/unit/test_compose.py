"""docker-compose.yml, the scaled-out deployment, read as data: no Docker engine runs here, so
this keeps the file honest against the code it starts (settings names, commands, files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from settings import Settings
from starter import app
from tests.conftest import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
TOSHIN = [name for name, svc in SERVICES.items() if svc.get("image") == "toshin:latest"]


def test_every_toshin_variable_is_a_setting() -> None:
    fields = {f"TOSHIN_{name.upper()}" for name in Settings.model_fields}
    for name in TOSHIN:
        unknown = set(SERVICES[name]["environment"]) - fields
        assert not unknown, f"{name}: {unknown} are not settings"


def test_the_read_model_and_temporal_are_on_postgresql() -> None:
    for name in TOSHIN:
        env = SERVICES[name]["environment"]
        assert env["TOSHIN_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["TOSHIN_TEMPORAL_ADDRESS"] == "temporal:7233"
    assert SERVICES["temporal"]["environment"]["DB"] == "postgres12"


def test_several_workers_start_after_the_one_time_setup() -> None:
    worker = SERVICES["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert SERVICES["setup"]["command"][-2:] == ["admin", "setup"]


def test_dependencies_name_services_and_mounts_name_files() -> None:
    for name, svc in SERVICES.items():
        assert set(svc.get("depends_on", {})) <= set(SERVICES), name
        for mount in svc.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name}: {source} missing"
            else:
                assert source in COMPOSE["volumes"], f"{name}: volume {source} undeclared"


@pytest.mark.parametrize(
    "name", [n for n in TOSHIN if SERVICES[n]["command"][1:2] == ["starter.py"]]
)
def test_starter_commands_exist(name: str) -> None:
    words = SERVICES[name]["command"][2:]
    group: Any = get_command(app)
    for word in words:
        if word.startswith("-"):
            break
        group = group.commands[word]  # KeyError: no such command


def test_the_image_installs_the_requirements_and_the_pdf_fonts() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "fonts-ipaexfont-mincho" in dockerfile
    assert Path(ROOT / "deploy" / "temporal-schema.sh").stat().st_mode & 0o111


def test_the_file_follows_the_compose_specification() -> None:
    """check-jsonschema ships the compose specification's schema: no network needed."""
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("check-jsonschema")),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_port_is_published_on_every_interface() -> None:
    assert any(svc.get("ports") for svc in SERVICES.values())
    for name, svc in SERVICES.items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} listens on all interfaces"


def test_the_desk_runs_in_the_deployment() -> None:
    desk = SERVICES["desk"]
    assert desk["command"][:5] == ["python", "-m", "uvicorn", "--factory", "web.app:app"]
    assert "127.0.0.1:8000:8000" in desk["ports"]
    assert desk["depends_on"]["setup"]["condition"] == "service_completed_successfully"
