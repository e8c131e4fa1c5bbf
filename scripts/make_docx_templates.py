"""Write the default Word templates (templates/docx/*.docx) with docxtpl tags.

The committed templates are this script's output; a municipality edits them in Word (keep
the ``{{ … }}`` and ``{%tr … %}`` tags intact). Run: .venv/bin/python -m scripts.make_docx_templates
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from activities.rendering.docx import normalize_zip

OUT = Path(__file__).resolve().parent.parent / "templates" / "docx"
BODY_FONT = "ＭＳ 明朝"


class Builder:
    """A Word document with A4 pages, a 明朝 body font and page numbers in the footer."""

    def __init__(self) -> None:
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin, section.right_margin = Mm(25), Mm(22)
        section.top_margin, section.bottom_margin = Mm(25), Mm(22)
        style = self.doc.styles["Normal"]
        style.font.name = BODY_FONT
        style.font.size = Pt(10.5)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), BODY_FONT)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        footer._p.append(field)

    def p(self, text: str, align: str | None = None, size: float | None = None) -> None:
        par = self.doc.add_paragraph()
        run = par.add_run(text)
        if size:
            run.font.size = Pt(size)
        if align == "right":
            par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif align == "center":
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif align == "indent":
            par.paragraph_format.left_indent = Mm(4)
        elif align == "indent2":
            par.paragraph_format.left_indent = Mm(8)

    def title(self, text: str) -> None:
        self.p(text, "center", 14)

    def loop(self, head: str, lines: list[tuple[str, str | None]]) -> None:
        """Paragraphs repeated for each element: ``{%p for … %}`` … ``{%p endfor %}``."""
        self.p(f"{{%p for {head} %}}")
        for text, align in lines:
            self.p(text, align)
        self.p("{%p endfor %}")

    def table(self, headers: list[str] | None, loop: str, cells: list[str]) -> None:
        """A table with an optional header row and one row repeated per element."""
        rows = (1 if headers else 0) + 3
        table = self.doc.add_table(rows=rows, cols=len(cells))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        at = 0
        if headers:
            for i, h in enumerate(headers):
                table.cell(0, i).text = h
            at = 1
        table.cell(at, 0).text = f"{{%tr for {loop} %}}"
        for i, c in enumerate(cells):
            table.cell(at + 1, i).text = c
        table.cell(at + 2, 0).text = "{%tr endfor %}"

    def save(self, name: str) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{name}.docx"
        self.doc.core_properties.author = "toshin"
        self.doc.save(str(path))
        path.write_bytes(normalize_zip(path.read_bytes()))


def number_line(b: Builder) -> None:
    """The document's own number (諮問第N号, 答申第N号) above the date, when it has one."""
    b.p("{%p if number_line %}")
    b.p("{{ number_line }}", "right")
    b.p("{%p endif %}")


def letterhead(b: Builder) -> None:
    b.p("{{ date_line }}", "right")
    b.p("{{ addressee }}")
    b.p("{{ issuer }}", "right")
    b.title("{{ subject_line }}")


def shimonsho() -> None:
    b = Builder()
    number_line(b)
    letterhead(b)
    b.p("{{ body }}", "indent")
    b.p("記", "center")
    b.p("{{ sheet_title }}", "center", 12)
    b.p("{% if is_change %}{{ change_note }}{% endif %}")
    b.table(None, "row in header", ["{{ row.label }}", "{{r row.rt }}"])
    b.p("内容は別紙のとおり")
    b.p("事業の概要")
    b.table(None, "row in affair", ["{{ row.label }}", "{{r row.rt }}"])
    b.doc.add_page_break()  # type: ignore[no-untyped-call]
    b.p("別紙")
    b.p("{% if is_change %}{{ change_note }}{% endif %}")
    b.table(None, "row in annex", ["{{ row.label }}", "{{r row.rt }}"])
    b.p("【運用上の対策】")
    b.loop("m in operational_measures", [("{{ m.no }}　{{ m.text }}", "indent")])
    b.p("【システム上の対策】")
    b.loop("m in system_measures", [("{{ m.no }}　{{ m.text }}", "indent")])
    b.p("{%p if is_change %}")
    b.p("変更内容")
    b.table(
        ["項目", "変更前", "変更後"],
        "c in changes",
        ["{{ c.item }}", "{{ c.before }}", "{{r c.after_rt }}"],
    )
    b.p("{%p endif %}")
    b.p("{%p if attachments %}")
    b.p("添付資料")
    b.loop("a in attachments", [("{{ a }}", "indent")])
    b.p("{%p endif %}")
    b.save("shimonsho")


def toshinsho() -> None:
    b = Builder()
    number_line(b)
    letterhead(b)
    b.p("{{ preamble }}", "indent")
    b.p("1 審議会の結論")
    b.p("{{ conclusion }}", "indent")
    b.p("2 実施機関の説明要旨")
    b.p("{{ explanation_lead }}", "indent")
    b.loop(
        "s in explanation",
        [
            ("{{ s.heading }}", "indent"),
            ("{%p for x in s.paragraphs %}", None),
            ("{{ x }}", "indent2"),
            ("{%p endfor %}", None),
        ],
    )
    b.p("3 審議会の判断理由")
    b.p("(1) 必要性について", "indent")
    b.p("{{ necessity }}", "indent2")
    b.p("(2) 安全対策について", "indent")
    b.p("{{ matrix_lead }}", "indent2")
    b.p("{%p if matrix %}")
    b.table(
        ["基準", "審議会の判断基準", "該当する実施機関の措置"],
        "r in matrix",
        ["{{ r.letter }}", "{{ r.label }}", "{{ r.measures }}"],
    )
    b.p("{%p endif %}")
    b.p("{{ matrix_conclusion }}", "indent2")
    b.loop("x in reasons", [("{{ x }}", "indent2")])
    b.p("{%p if conditions %}")
    b.p("4 条件")
    b.loop("c in conditions", [("{{ c.no }} {{ c.text }}", "indent")])
    b.p("{%p endif %}")
    b.p("{%p if opinions %}")
    b.p("{{ 5 if conditions else 4 }} 附帯意見")
    b.loop("o in opinions", [("{{ o.no }} {{ o.text }}", "indent")])
    b.p("{%p endif %}")
    b.p("以 上", "right")
    b.save("toshinsho")


def kaigiroku() -> None:
    b = Builder()
    b.title("{{ doc_title }}")
    b.p("{% if public_note %}{{ public_note }}{% endif %}")
    b.table(None, "row in fields", ["{{ row.label }}", "{{r row.rt }}"])
    b.p("会議次第")
    b.loop("a in agenda", [("{{ loop.index }} {{ a }}", "indent")])
    b.p("会議経過")
    b.loop(
        "item in items",
        [
            ("{{ item.no }} {{ item.title }}", "indent"),
            ("{%p for u in item.qa %}", None),
            ("{{ u.speaker }}：{{ u.text }}", "indent2"),
            ("{%p endfor %}", None),
            ("結論：{{ item.conclusion }}", "indent2"),
            ("{%p for c in item.conditions %}", None),
            ("条件{{ loop.index }}：{{ c }}", "indent2"),
            ("{%p endfor %}", None),
            ("{%p for o in item.opinions %}", None),
            ("附帯意見{{ loop.index }}：{{ o }}", "indent2"),
            ("{%p endfor %}", None),
            ("{%p for x in item.action_items %}", None),
            ("確認事項{{ loop.index }}：{{ x }}", "indent2"),
            ("{%p endfor %}", None),
        ],
    )
    b.p("{%p if redaction_bases %}")
    b.p("記載を省略した情報の根拠")
    b.loop("x in redaction_bases", [("{{ x }}", "indent")])
    b.p("{%p endif %}")
    b.save("kaigiroku")


def kaisai_tsuchi() -> None:
    b = Builder()
    letterhead(b)
    b.p("{{ body }}", "indent")
    b.p("記", "center")
    b.table(None, "row in rows", ["{{ row.label }}", "{{r row.rt }}"])
    b.p("議題")
    b.loop("a in agenda", [("{{ loop.index }} {{ a }}", "indent")])
    b.p("{{ closing }}", "right")
    b.save("kaisai_tsuchi")


def letter(name: str) -> None:
    b = Builder()
    letterhead(b)
    b.p("{{ body }}", "indent")
    b.p("{%p if conditions %}")
    b.p("記", "center")
    b.table(
        ["番号", "条件", "履行期限", "履行状況"],
        "c in conditions",
        ["{{ c.no }}", "{{ c.text }}", "{{ c.due }}", "{{ c.status }}"],
    )
    b.p("{%p endif %}")
    b.p("{%p if action_items %}")
    b.p("確認事項（宿題）")
    b.loop("a in action_items", [("{{ loop.index }} {{ a }}", "indent")])
    b.p("{%p endif %}")
    b.p("{{ closing }}", "right")
    b.save(name)


def main() -> None:
    shimonsho()
    toshinsho()
    kaigiroku()
    kaisai_tsuchi()
    letter("tokusoku")
    letter("joken_hokoku")


if __name__ == "__main__":
    main()
