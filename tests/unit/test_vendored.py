"""The front-end libraries the desk serves are the files of the npm packages named in their
SOURCE (the SHA-256 recorded there), each with its licence; no template loads anything from
another host."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.conftest import ROOT

WEB = ROOT / "web"
VENDOR = WEB / "static" / "vendor"


@pytest.mark.parametrize("name", ["htmx", "chartjs"])
def test_a_vendored_library_has_its_licence_source_and_recorded_hash(name: str) -> None:
    folder = VENDOR / name
    source = (folder / "SOURCE").read_text(encoding="utf-8")
    assert "from the npm registry (npm pack" in source
    assert (folder / "LICENSE").stat().st_size > 100
    [script] = folder.glob("*.min.js")
    recorded = re.search(rf"{re.escape(script.name)} \(sha256 ([0-9a-f]{{64}})\)", source)
    assert recorded is not None, f"{name}: SOURCE records no SHA-256 of {script.name}"
    assert hashlib.sha256(script.read_bytes()).hexdigest() == recorded.group(1)


def test_no_template_loads_anything_from_another_host() -> None:
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), template.name


def test_the_htmx_enhanced_forms_still_have_a_plain_get_action() -> None:
    for name, target in (("cases.html", "/cases"), ("deadlines.html", "/deadlines")):
        text = (WEB / "templates" / name).read_text(encoding="utf-8")
        form = re.search(r"<form [^>]*hx-get=[^>]*>", text)
        assert form is not None, name
        assert f'method="get" action="{target}"' in form.group(0)  # works with JS off
        assert re.search(r'<button type="submit">', text), name
