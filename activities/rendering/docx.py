"""DOCX through docxtpl: a Word template with Jinja2 tags; fixed zip timestamps and core
properties, so equal content gives equal bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.exceptions import OpcError
from docxtpl import DocxTemplate, RichText
from pydantic import BaseModel

from activities.rendering import FIXED_TIMESTAMP, template_error
from models.errors import TemplateError

MARK_FONT = "eastAsia:ＭＳ ゴシック"  # a marked change: 太字ゴシック・下線 (as the Shinjuku sheet)


def _rich(value: Any) -> Any:
    """Add ``rt`` (a RichText keeping line breaks; marked when ``changed``) beside every
    ``value`` of a row, so templates write ``{{r row.rt }}``."""
    if isinstance(value, dict):
        out = {k: _rich(v) for k, v in value.items()}
        if isinstance(out.get("value"), str):
            marked = bool(out.get("changed"))
            out["rt"] = RichText(
                out["value"],
                bold=marked,
                underline=marked,
                font=MARK_FONT if marked else None,
            )
        if isinstance(out.get("after"), str):
            out["after_rt"] = RichText(out["after"], bold=True, underline=True, font=MARK_FONT)
        return out
    if isinstance(value, list):
        return [_rich(v) for v in value]
    return value


def render_docx(path: Path, relative: str, content: BaseModel) -> bytes:
    context = _rich(content.model_dump(mode="json"))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    try:
        template = DocxTemplate(str(path))
        template.render(context, jinja_env=env, autoescape=True)
    except jinja2.TemplateError as err:
        raise template_error(relative, err) from None
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise TemplateError.of(
            relative, f"not a readable Word template ({type(err).__name__})"
        ) from None
    fixed = dt.datetime(*FIXED_TIMESTAMP, tzinfo=dt.UTC)
    props = template.docx.core_properties
    props.created = fixed
    props.modified = fixed
    props.last_printed = fixed
    props.revision = 1
    props.last_modified_by = "toshin"
    props.title = str(context.get("doc_title", ""))
    buffer = io.BytesIO()
    template.save(buffer)
    return normalize_zip(buffer.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """The same zip with fixed entry timestamps and attributes (python-docx stamps 'now')."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
