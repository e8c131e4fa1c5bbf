"""Rendering document contents (``models.documents``) to DOCX (docxtpl Word templates) and PDF
(Jinja2 HTML/CSS templates through WeasyPrint), reproducibly: equal content, equal bytes.

The templates are files a municipality can edit: ``templates/docx/<name>.docx`` and
``templates/html/<name>.html`` (see the README). A broken template raises
``models.errors.TemplateError`` naming the template and the missing field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from models.documents.spec import DocFormat, DocType
from models.errors import TemplateError

# the public minutes use the minutes template (the content says it is the public version)
TEMPLATE_NAMES = {DocType.kaigiroku_public: "kaigiroku"}
# a fixed instant for every date a file format insists on (zip entries, core properties)
FIXED_TIMESTAMP = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Rendered:
    data: bytes
    template: str  # the template file, relative to the templates folder


def template_path(doc_type: DocType, fmt: DocFormat) -> str:
    name = TEMPLATE_NAMES.get(doc_type, doc_type.value)
    return f"docx/{name}.docx" if fmt is DocFormat.docx else f"html/{name}.html"


def render(doc_type: DocType, fmt: DocFormat, content: BaseModel, templates: Path) -> Rendered:
    """The document as bytes. Raises TemplateError for a missing or broken template."""
    relative = template_path(doc_type, fmt)
    path = templates / relative
    if not path.is_file():
        raise TemplateError.of(relative, f"template file not found in {templates}")
    if fmt is DocFormat.docx:
        from activities.rendering.docx import render_docx

        return Rendered(render_docx(path, relative, content), relative)
    from activities.rendering.pdf import render_pdf

    return Rendered(render_pdf(path, relative, content), relative)


_UNDEFINED = (
    re.compile(r"has no attribute '([^']+)'"),
    re.compile(r"'([^']+)' is undefined"),
    re.compile(r"no attribute '([^']+)'"),
)


def template_error(relative: str, err: Exception) -> TemplateError:
    """A Jinja2 error as a TemplateError naming the template and, when known, the field."""
    text = str(err)
    for pattern in _UNDEFINED:
        match = pattern.search(text)
        if match:
            return TemplateError.of(relative, text, match.group(1))
    line = getattr(err, "lineno", None)
    where = f" (line {line})" if line else ""
    return TemplateError.of(relative, f"{type(err).__name__}{where}: {text}")
