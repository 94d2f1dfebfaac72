"""Word (.docx) via python-docx: paragraphs and table rows, headings marked with "## "."""

from __future__ import annotations

import zipfile
from pathlib import Path

from findings.models import Page
from findings.readers import ReadError, clean_text


def read_docx(path: Path) -> list[Page]:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError) as exc:
        raise ReadError("not a valid Word .docx file (damaged, or another format renamed)") from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(block, document)
            text = para.text.strip()
            style = (para.style.name or "").lower() if para.style is not None else ""
            if not text:
                continue
            if style.startswith(("heading", "title")):
                lines += ["", f"## {text}", ""]
            elif "list" in style:
                lines.append(f"- {text}")
            else:
                lines += [text, ""]
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                lines.append("\t".join(cell.text.strip() for cell in row.cells))
            lines.append("")
    return [Page(1, clean_text("\n".join(lines)))]
