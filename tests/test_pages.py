"""See the source: the cited page drawn with the paragraph shaded, and the original file found,
or one sentence saying it has moved or changed."""

from __future__ import annotations

import shutil

import pymupdf
import pytest
from fakes import FakeEmbedder

from findings.config import Settings
from findings.library import Library
from findings.pages import paragraph_area, render_page, source_file

PARAGRAPHS = [
    "Leaders know their services well and have a clear plan for improvement across the service.",
    "Over-optimism about parental capacity to change leads to an over-reliance on written agreements "
    "to manage risks, and a small number of children are left exposed to repeated domestic abuse.",
    "Care leavers speak highly of their personal advisers, who know them well and keep in touch.",
]


def make_report(path, pages: int = 3) -> None:
    """A small inspection report: a title page, then numbered paragraphs with printed page numbers."""
    document = pymupdf.open()
    cover = document.new_page()
    cover.insert_text((72, 100), "Inspection of Blackpool local authority children's services", fontsize=14)
    cover.insert_text((72, 130), "Inspection dates: 1 March to 5 March 2021")
    number = 0
    for p in range(2, pages + 1):
        page = document.new_page()
        y = 100
        for text in PARAGRAPHS:
            number += 1
            box = pymupdf.Rect(72, y, 520, y + 80)
            page.insert_textbox(box, f"{number}. {text}", fontsize=11)
            y += 100
        page.insert_text((290, 800), str(p), fontsize=9)  # the printed page number
    document.save(str(path))


@pytest.fixture
def indexed(tmp_path):
    source = tmp_path / "blackpool-2021.pdf"
    make_report(source)
    library = Library(Settings.load(tmp_path / "index"), embedder=FakeEmbedder())
    assert not library.ingest([source]).failed
    return library, source


def test_the_cited_page_is_drawn_with_the_paragraph_shaded(indexed):
    library, source = indexed
    (report,) = library.store.reports()
    paragraph = next(p for p in library.store.paragraphs(report.id) if p.number == 5)
    assert paragraph.page == 3 and "Over-optimism" in paragraph.text
    png = render_page(source, paragraph)
    assert png.startswith(b"\x89PNG")
    with pymupdf.open(str(source)) as document:
        page = document[paragraph.page - 1]
        area = paragraph_area(page, paragraph.text)
        opening = page.search_for("Over-optimism about parental capacity")[0]
        closing = page.search_for("repeated domestic abuse.")[0]
        following = page.search_for("Care leavers speak highly")[0]
    assert area.contains(opening) and area.contains(closing)
    assert not area.intersects(following)  # the next paragraph is not shaded
    assert source.read_bytes() == source.read_bytes()  # drawing never writes to the file


def test_a_moved_or_changed_file_is_said_in_one_sentence(indexed, tmp_path):
    library, source = indexed
    (report,) = library.store.reports()
    assert source_file(report).usable and source_file(report).is_pdf
    moved = tmp_path / "elsewhere.pdf"
    shutil.move(source, moved)
    found = source_file(report)
    assert not found.usable and "no longer at" in found.problem and found.problem.count(". ") == 0
    shutil.move(moved, source)
    with source.open("ab") as handle:
        handle.write(b"\n% edited")
    changed = source_file(report)
    assert changed.path == source and "has changed since it was indexed" in changed.problem
