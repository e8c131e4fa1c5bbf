"""PDF through WeasyPrint: a Jinja2 HTML/CSS template (A4, page numbers, Japanese fonts
embedded as subsets). Font subsets carry no 'now' (SOURCE_DATE_EPOCH) and the document no
dates, so equal content gives equal bytes."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import jinja2
from pydantic import BaseModel

from activities.rendering import template_error

_LOCK = threading.Lock()  # WeasyPrint and the environment variable are process-wide


def render_pdf(path: Path, relative: str, content: BaseModel) -> bytes:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
    )
    try:
        html = env.get_template(path.name).render(**content.model_dump(mode="json"))
    except jinja2.TemplateError as err:
        raise template_error(relative, err) from None
    import weasyprint

    with _LOCK:
        os.environ["SOURCE_DATE_EPOCH"] = "946684800"  # fontTools stamps subsets with this
        document = weasyprint.HTML(string=html, base_url=str(path.parent))
        data: bytes = document.write_pdf(pdf_identifier=b"toshin")
    return data
