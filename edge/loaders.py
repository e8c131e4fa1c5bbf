"""YAML and JSON into models: every file a person hands the engine is read here.

YAML is read as people write it here (YAML 1.2 core schema: only true/false are booleans, and
dates stay text until a model's date field reads them, so a bad date names its field). Files
are bounded (``INPUT_FILE_BYTES``, UTF-8, nesting and values counted by ``within_nesting``, so
nested YAML aliases cannot expand to gigabytes), and
every problem is one ``InvalidPayload`` line naming the file and the field.
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
from models.limits import INPUT_FILE_BYTES, kib, within_nesting
from models.municipality import MunicipalityConfig

M = TypeVar("M", bound=BaseModel)


class _Yaml12Loader(yaml.SafeLoader):
    """Only true/false are booleans, so `on:`, `yes:` and `no:` are plain keys (YAML 1.1
    would read them as booleans), and `2023-02-30` is text, not a date PyYAML fails to build."""


_YAML_1_1_ONLY = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML_1_1_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)


def read_text(path: Path) -> str:
    """A UTF-8 text file of at most ``INPUT_FILE_BYTES``; anything else is InvalidPayload."""
    try:
        with path.open("rb") as file:
            raw = file.read(INPUT_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidPayload(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > INPUT_FILE_BYTES:
        raise InvalidPayload(f"{path}: the file is larger than {kib(INPUT_FILE_BYTES)}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidPayload(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def parse_text(text: str, where: str, *, as_json: bool = False) -> Any:
    """YAML (or JSON) text into plain data; every failure is one InvalidPayload naming
    ``where``."""
    try:
        data = json.loads(text) if as_json else load_yaml(text)
        within_nesting(data, "the data")
    except json.JSONDecodeError as exc:
        raise InvalidPayload(f"{where}: malformed JSON at line {exc.lineno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        spot = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise InvalidPayload(f"{where}: malformed YAML{spot}: {problem}") from None
    except RecursionError:
        raise InvalidPayload(f"{where}: nested too deeply to read") from None
    except ValueError as exc:  # a number too long to read, nesting past MAX_NESTING
        raise InvalidPayload(f"{where}: {exc}") from None
    return data


def load_structured(path: Path) -> Any:
    """Read a YAML or JSON file; a malformed file is an InvalidPayload naming the file."""
    return parse_text(read_text(path), str(path), as_json=path.suffix == ".json")


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
        raw = yaml.safe_load(read_text(path))
        return MunicipalityConfig.model_validate(raw)
    except yaml.YAMLError as exc:
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
        value = parse_text(raw, f"--set {key}") if raw else ""
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InvalidPayload(f"--set {key}: {part} is not a mapping")
        node[leaf] = value
    return out
