"""Citations a reader can check: the report's own title and dates, the paragraph's number or
its heading and place under it (never an internal counter), and the page as printed."""

from __future__ import annotations

from datetime import date

import pytest

from findings.citations import citation, cite, ordinal, paragraph_label
from findings.models import Paragraph, Report, ReportMeta

SIF = Report(
    "blackburn-with-darwen-2017-sif", "/home/me/reports/sif 2017.pdf", "h",
    ReportMeta(
        authority="Blackburn with Darwen", report_type="sif",
        title="Inspection of services for children in need of help and protection, children looked after and "
              "care leavers",
        inspection_start=date(2017, 9, 25), inspection_end=date(2017, 10, 19),
    ),
    pages=40,
)
ILACS = Report(
    "birmingham-2023-ilacs", "/data/x.pdf", "h",
    ReportMeta(authority="Birmingham", report_type="ilacs_standard",
               title="Inspection of Birmingham local authority children’s services",
               inspection_start=date(2023, 2, 20), inspection_end=date(2023, 3, 3),
               url="https://files.ofsted.gov.uk/v1/file/50210000"),
    pages=12, file_name="children's services inspection - 18 april 2023.pdf",
)


def para(key: str, kind: str, number: int | None = None, *, heading: str = "", ordinal_: int = 0,
         page: int | None = 7, label: str | None = "7", section: str = "") -> Paragraph:
    return Paragraph("r", key, number, kind, section or heading, page, 0, "Text.", page_label=label,
                     heading=heading, ordinal=ordinal_)


@pytest.mark.parametrize(("n", "word"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                         (12, "12th"), (13, "13th"), (21, "21st"), (102, "102nd")])
def test_ordinals(n, word):
    assert ordinal(n) == word


def test_a_numbered_paragraph_is_cited_by_its_number_then_its_page():
    text = citation(ILACS, para("p12", "numbered", 12, heading="Help and protection", page=4, label="4"))
    assert text == ("Inspection of Birmingham local authority children’s services, 20 February-3 March 2023, "
                    "paragraph 12, page 4")  # the council once: the title names it


def test_unnumbered_prose_and_items_are_cited_by_page_heading_and_place():
    prose = para("s5", "prose", heading="Executive summary", ordinal_=3, page=7, label="7")
    assert citation(SIF, prose) == (
        "Blackburn with Darwen, Inspection of services for children in need of help and protection, children "
        "looked after and care leavers, 25 September-19 October 2017, page 7, 'Executive summary', 3rd paragraph"
    )
    item = para("i29", "item", heading="What needs to improve?", ordinal_=4, page=2, label="2")
    assert paragraph_label(item) == "'What needs to improve?', item 4"
    assert "29" not in citation(SIF, item)  # never our own counter


def test_the_printed_page_number_is_cited_and_the_pdf_page_named_when_they_differ():
    assert cite(SIF, para("p3", "numbered", 3, page=23, label="21")).page == "page 21 (PDF page 23)"
    assert cite(SIF, para("p3", "numbered", 3, page=1, label=None)).page == "page 1"
    whole_text_file = Report("t", "/t.txt", "h", SIF.meta, pages=1)
    assert cite(whole_text_file, para("p3", "numbered", 3, page=1, label=None)).page == ""


def test_a_repeated_number_names_its_heading_and_an_old_index_never_shows_a_counter():
    annex = para("p4-2", "numbered", 4, heading="Annex A")
    assert paragraph_label(annex) == "'Annex A', paragraph 4"
    old = Paragraph("r", "s9", None, "prose", "Summary", 3, 0, "Text.")  # read before headings were kept
    assert paragraph_label(old) == "'Summary'"


def test_the_source_is_the_file_name_and_web_address_never_a_path():
    found = cite(ILACS, para("p1", "numbered", 1))
    assert found.source == ("children's services inspection - 18 april 2023.pdf "
                            "(https://files.ofsted.gov.uk/v1/file/50210000)")
    assert cite(SIF, para("p1", "numbered", 1)).source == "sif 2017.pdf"
