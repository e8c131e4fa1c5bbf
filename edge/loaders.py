"""YAML and JSON into models: every file a person hands the engine is read here.

YAML is read as people write it here (YAML 1.2 booleans: only true/false), and every problem
is one ``InvalidPayload`` line naming the file and the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from models.case.document import ConsultationDocument
from models.errors import InvalidPayload, describe_validation_error
from models.municipality import MunicipalityConfig

M = TypeVar("M", bound=BaseModel)


class _Yaml12Loader(yaml.SafeLoader):
    """Only true/false are booleans, so `on:`, `yes:` and `no:` are plain keys (YAML 1.1
    would read them as booleans)."""


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


def load_mapping(path: Path) -> dict[str, Any]:
    """A YAML or JSON file that must hold a mapping (a payload)."""
    loaded = load_structured(path)
    if not isinstance(loaded, dict):
        raise InvalidPayload(f"{path}: the payload must be a mapping")
    return loaded


def parse(model: type[M], data: Any, where: str) -> M:
    """Validate input strictly; every bad field goes into one InvalidPayload line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(f"{where}: {describe_validation_error(exc)}") from None


def load_model(model: type[M], path: Path) -> M:
    """A YAML (1.2 booleans) or JSON file as ``model``; errors name the file."""
    return parse(model, load_structured(path), str(path))


def load_document(data: Any, where: str) -> ConsultationDocument:
    return parse(ConsultationDocument, data, where)


def load_municipality(path: Path) -> MunicipalityConfig:
    """The municipality's configuration (directory, policy, calendar, triage rules)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return MunicipalityConfig.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidPayload(f"{path}: {exc}") from None
    except ValidationError as exc:
        raise InvalidPayload(f"{path}: {describe_validation_error(exc)}") from None


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """`a.b=value` pairs (values read as YAML scalars or flow lists) into a nested dict."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidPayload(f"--set {pair!r}: expected key=value")
        try:
            value = load_yaml(raw) if raw else ""
        except yaml.YAMLError as exc:
            raise InvalidPayload(f"--set {key}: {exc}") from None
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InvalidPayload(f"--set {key}: {part} is not a mapping")
        node[leaf] = value
    return out
