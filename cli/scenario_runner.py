"""Drives a scenario file against the running engine, step by step."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway import CaseGateway
from models.case import ActInput, Actor
from models.document import ConsultationDocument
from models.errors import CaseError, DuplicateCase, InvalidPayload, describe_validation_error
from models.labels import ROLE_LABELS
from models.scenario import Scenario, ScenarioCase


@dataclass
class StepResult:
    number: int
    case: str
    trigger: str
    role: str
    expected: str
    got: str
    ok: bool
    detail: str = ""


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as people write it here: only true/false are booleans, so `on:`, `yes:` and `no:`
    are plain keys (YAML 1.1 would read them as booleans)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)


def load_structured(path: Path) -> Any:
    """Read a YAML or JSON file; a malformed file is an InvalidPayload naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidPayload(f"{path}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return load_yaml(text)
    except json.JSONDecodeError as exc:
        raise InvalidPayload(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise InvalidPayload(f"{path}: malformed YAML{where}: {problem}") from None


def load_document(data: Any, where: str) -> ConsultationDocument:
    try:
        return ConsultationDocument.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(f"{where}: {describe_validation_error(exc)}") from None


def load_scenario(path: Path) -> Scenario:
    try:
        return Scenario.model_validate(load_structured(path))
    except ValidationError as exc:
        raise InvalidPayload(f"{path}: {describe_validation_error(exc)}") from None


def _resolve_aliases(value: Any, ids: dict[str, str]) -> Any:
    """Replace "@alias" strings by the case id the alias got."""
    if isinstance(value, str) and value.startswith("@") and value[1:] in ids:
        return ids[value[1:]]
    if isinstance(value, dict):
        return {k: _resolve_aliases(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_aliases(v, ids) for v in value]
    return value


class ScenarioRunner:
    def __init__(self, gateway: CaseGateway, *, unique: bool = False) -> None:
        self.gateway = gateway
        self.suffix = f"#{uuid.uuid4().hex[:8]}" if unique else ""

    async def _create(
        self, alias: str, spec: ScenarioCase, base: Path, ids: dict[str, str]
    ) -> tuple[str, bool]:
        raw = (
            spec.document
            if spec.document is not None
            else load_structured(base / str(spec.document_file))
        )
        document = load_document(_resolve_aliases(raw, ids), f"cases.{alias}.document")
        ref = f"{spec.external_ref}{self.suffix}" if spec.external_ref else None
        try:
            snap = await self.gateway.create_case(
                document=document,
                actor=spec.created_by,
                external_ref=ref,
                created_on=spec.created_on,
            )
        except DuplicateCase:
            return self.gateway.case_id_for(ref), False
        return snap.case_id, True

    async def run(self, scenario: Scenario, base: Path) -> tuple[dict[str, str], list[StepResult]]:
        """Create the cases and run every step; stops at the first mismatch. Cases that exist
        already (same external reference) are reused and their steps are not repeated."""
        ids: dict[str, str] = {}
        fresh: dict[str, bool] = {}
        for alias, spec in scenario.cases.items():
            ids[alias], fresh[alias] = await self._create(alias, spec, base, ids)
        results: list[StepResult] = []
        only = next(iter(scenario.cases))
        for number, step in enumerate(scenario.steps, start=1):
            alias = step.case or only
            if not fresh[alias]:
                continue
            act = ActInput(
                trigger=step.trigger,
                actor=Actor(role=step.as_, name=step.actor or ROLE_LABELS[step.as_]),
                payload=_resolve_aliases(step.payload, ids),
                on=step.on,
            )
            expected = step.expect.value if step.expect else f"error {step.expect_error}"
            try:
                snap = await self.gateway.act(ids[alias], act)
            except CaseError as err:
                got, detail = f"error {err.error_type}", err.message
                ok = step.expect_error is not None and err.error_type == step.expect_error
            else:
                got, detail = snap.state.value, ""
                ok = step.expect is not None and snap.state == step.expect
                if ok and step.expect_warning:
                    codes = [w.code for w in snap.warnings]
                    ok = step.expect_warning in codes
                    detail = f"warnings: {', '.join(codes) or 'none'}"
                if snap.parked is not None:
                    detail = f"parked: {snap.parked.step}: {snap.parked.error}"
            results.append(
                StepResult(number, alias, step.trigger, step.as_.value, expected, got, ok, detail)
            )
            if not ok:
                break
        return ids, results
