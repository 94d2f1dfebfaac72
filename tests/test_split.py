"""The splitter on the real seed reports: the numbers, joins and sections a citation relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from findings.models import Page
from findings.readers import clean_text, read_pages
from findings.split import split_pages

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def split(name: str):
    return split_pages(read_pages(SEEDS / name))


def numbered(paragraphs):
    return [p for p in paragraphs if p.kind == "numbered"]


@pytest.fixture(scope="module")
def ilacs_2022():
    return split("blackburn-with-darwen-2022-ilacs-inspection.txt")


def test_2022_numbers_run_1_to_51_once_each_in_order(ilacs_2022):
    assert [p.number for p in numbered(ilacs_2022)] == list(range(1, 52))


def test_2022_para_9_is_joined_across_the_page_break_without_the_running_header(ilacs_2022):
    para9 = next(p for p in ilacs_2022 if p.number == 9)
    assert "Over-optimism about parental capacity to change" in para9.text
    assert "ongoing repeated incidents of domestic abuse" in para9.text
    assert "Inspection of Blackburn" not in para9.text
    assert "24 January to 4 February 2022" not in para9.text
    assert "written agreements to manage risks" in para9.text
    assert para9.section == "The experiences and progress of children who need help and protection"


def test_2022_number_mid_line_after_page_break_is_kept(ilacs_2022):
    para43 = next(p for p in ilacs_2022 if p.number == 43)
    assert para43.text.startswith("Blackburn with Darwen children’s services uses feedback")


def test_2022_sections_follow_the_report_headings(ilacs_2022):
    by_number = {p.number: p for p in numbered(ilacs_2022)}
    assert by_number[17].section == "The experiences and progress of children in care and care leavers"
    assert by_number[35].section == by_number[17].section
    assert by_number[40].section.startswith("The impact of leaders on social work practice")


def test_2022_what_needs_to_improve_bullets_are_items(ilacs_2022):
    items = [p for p in ilacs_2022 if p.kind == "item" and p.section == "What needs to improve?"]
    assert len(items) == 10
    assert items[0].key == "i1"
    assert items[0].text.startswith("The multi-agency response to concerns")
    assert items[0].text.endswith("particularly timely strategy discussions.")


def test_2022_back_page_and_judgement_table_are_boilerplate(ilacs_2022):
    licence = [p for p in ilacs_2022 if "Open Government Licence" in p.text]
    assert licence and all(p.boilerplate for p in licence)
    table = [p for p in ilacs_2022 if p.text == "Requires improvement to be good"]
    assert table and all(p.boilerplate for p in table)
    assert not any(p.boilerplate for p in numbered(ilacs_2022))


def test_2017_recommendations_1_to_9_findings_10_to_97_with_56_inferred():
    paragraphs = split("blackburn-with-darwen-2017-sif-inspection.txt")
    nums = numbered(paragraphs)
    assert [p.number for p in nums] == list(range(1, 98))
    recommendations = [p for p in nums if p.number <= 9]
    assert all(p.section == "Recommendations" for p in recommendations)
    para56 = next(p for p in nums if p.number == 56)
    assert para56.number_inferred
    assert para56.text.startswith("Adopters are highly complimentary")
    assert not any(p.number_inferred for p in nums if p.number != 56)


def test_2017_paragraph_continued_as_a_list_line_is_joined():
    paragraphs = split("blackburn-with-darwen-2017-sif-inspection.txt")
    para78 = next(p for p in paragraphs if p.number == 78)
    assert para78.text.endswith("affected by domestic abuse and substance misuse.")


def test_2012_blackpool_gives_1_to_39():
    paragraphs = split("blackpool-2012-child-protection-inspection.md")
    assert [p.number for p in numbered(paragraphs)] == list(range(1, 40))
    assert next(p for p in paragraphs if p.number == 1).boilerplate  # the grading scale


def test_press_release_and_peer_review_get_stable_synthetic_keys():
    first = split("blackburn-with-darwen-2022-press-release.txt")
    again = split("blackburn-with-darwen-2022-press-release.txt")
    assert [p.key for p in first] == [p.key for p in again]
    assert not numbered(first)
    assert any(p.kind == "item" and p.text == "Response to Child Sexual Exploitation" for p in first)
    slides = split("blackburn-with-darwen-2017-lga-peer-review.txt")
    assert any(p.kind == "item" and p.section == "Strengths" for p in slides)


def test_hyphenation_repair_keeps_real_hyphens():
    text = (
        "1. Over-\noptimism about change and the informa-\ntion shared with semi-\n"
        "independent providers was poor.\n"
    )
    (para,) = split_pages([Page(1, text)])
    assert para.text == (
        "Over-optimism about change and the information shared with semi-independent providers was poor."
    )


def test_page_break_split_paragraph_across_pages_is_joined():
    pages = [
        Page(1, "1. The first paragraph ends here.\n\n2. The second paragraph runs over the\n"),
        Page(2, "page break and ends here.\n\n3. Third.\n"),
    ]
    paragraphs = split_pages(pages)
    assert [p.number for p in paragraphs] == [1, 2, 3]
    assert paragraphs[1].text == "The second paragraph runs over the page break and ends here."
    assert paragraphs[1].page == 1
    assert paragraphs[2].page == 2


# --- pages: each paragraph cites the page that holds its first words -------------------------


def earlier_paragraphs(up_to: int, page: int = 1) -> Page:
    """A page of paragraphs 1..up_to, so that the paragraphs under test keep their real numbers."""
    return Page(page, "\n\n".join(f"{n}. Finding number {n} is stated here." for n in range(1, up_to + 1)))


# A SIF/ILACS page break as the PDF reader gives it: the running footer is dropped, so page 10
# carries on paragraph 48 with no blank line, and 49 opens mid-block on page 10.
SOUTH_GLOS_9_10 = [
    earlier_paragraphs(47, page=8),
    Page(9, (
        "## The impact of leaders on social work practice with children and\n"
        "## families: good\n\n"
        "48. The members of the children’s services senior leadership team, with the\n"
        "support of corporate and political leaders, understand and prioritise the needs\n"
        "of children. Substantial investment and a vision shared by corporate and political\n"
        "leaders have enabled a restructure of"
    )),
    Page(10, (
        "directorates and resource allocation that has prioritised children and care\n"
        "leavers.\n"
        "49. Children’s services are successfully led by a committed and determined\n"
        "executive director who has provided the much-needed strength.\n"
        "50. Political leaders are highly informed about and supportive of children’s services."
    )),
]


def test_paragraph_opening_after_a_page_break_without_a_blank_line_cites_its_own_page():
    by_number = {p.number: p for p in split_pages(SOUTH_GLOS_9_10)}
    assert by_number[48].page == 9
    assert by_number[48].text.endswith("enabled a restructure of directorates and resource "
                                       "allocation that has prioritised children and care leavers.")
    assert by_number[49].page == 10
    assert by_number[50].page == 10


def test_a_number_alone_at_the_foot_of_a_page_does_not_swallow_the_next_paragraph():
    # Waltham Forest 2015: "89." is printed alone at the foot of page 22 and "90." opens page 23.
    pages = [
        earlier_paragraphs(87, page=21),
        Page(22, "88. The authority’s commissioning strategy aims to manage the market.\n\n89."),
        Page(23, "90. The majority of foster carers are Asian or black Afro-Caribbean.\n"
                 "91. Foster carers who are approved by the authority are positive."),
    ]
    paragraphs = split_pages(pages)
    assert [(p.number, p.page) for p in paragraphs[87:]] == [(88, 22), (90, 23), (91, 23)]
    assert paragraphs[88].text.startswith("The majority of foster carers")


def test_a_number_whose_text_starts_the_next_page_cites_the_next_page():
    pages = [earlier_paragraphs(10, page=3), Page(4, "11. The paragraph ends here.\n\n12."),
             Page(5, "Its text is all here.")]
    twelve = split_pages(pages)[-1]
    assert (twelve.number, twelve.page, twelve.text) == (12, 5, "Its text is all here.")


# PDFs drawn with PyMuPDF in the layout of real reports (A4, 11pt body, page numbers printed at
# the foot), so the reader's use of positions is tested without the corpus.
A4 = (595.0, 842.0)


def make_pdf(path: Path, pages: list[list[tuple]]) -> Path:
    """Each page is a list of (x, y, text) or (x, y, text, font, size) placed on an A4 page."""
    import pymupdf

    document = pymupdf.open()
    for items in pages:
        page = document.new_page(width=A4[0], height=A4[1])
        for x, y, text, *style in items:
            font, size = style if style else ("helv", 11)
            page.insert_text((x, y), text, fontname=font, fontsize=size)
    document.save(str(path))
    return path


def body(lines: list[str], top: float = 100.0, x: float = 70.0) -> list[tuple]:
    return [(x, top + 14.5 * i, line) for i, line in enumerate(lines)]


FOOTER = "Inspection of Norfolk local authority children’s services"


@pytest.mark.parametrize("number_at", [810.0, 758.0])  # footer band (ILACS); body band (SIF 2014)
def test_short_last_line_at_a_page_foot_ends_its_paragraph_and_the_next_page_starts_one(
    tmp_path, number_at
):
    # Norfolk 2026, pages 1-2: "Leaders at all levels ..." opens page 2 after a finished one.
    page1 = body([
        "The implementation of the family help model has successfully brought together",
        "targeted early help and statutory services in multidisciplinary teams. Consequently,",
        "children and families receive seamless coordinated support and effective",
        "particularly for children in care and care leavers.",
    ], top=640)
    page2 = body([
        "Leaders at all levels ensure that there is an organisational culture in which children",
        "and care leavers come first. Listening to children and young people remains central.",
    ])
    pdf = make_pdf(tmp_path / "r.pdf", [page1 + [(290, number_at, "1")], page2 + [(290, 810, "2")]])
    prose = [p for p in split_pages(read_pages(pdf)) if not p.boilerplate]
    assert [(p.page, p.text.split()[0]) for p in prose] == [(1, "The"), (2, "Leaders")]


def test_full_last_line_at_a_page_foot_carries_on_over_the_break(tmp_path):
    page1 = body([
        "Children’s services are successfully led by a committed and determined executive",
        "director who has provided the much-needed strength, stability and persistent vision",
    ], top=730)
    page2 = body(["to improve services for children and care leavers."])
    pdf = make_pdf(tmp_path / "r.pdf", [page1, page2])
    (paragraph,) = split_pages(read_pages(pdf))
    assert paragraph.page == 1
    assert paragraph.text.endswith("persistent vision to improve services for children and care leavers.")


# --- printed page numbers --------------------------------------------------------------------


def test_pdf_pages_carry_the_number_printed_in_the_footer_or_header(tmp_path):
    line = [(70, 400, "Children in care benefit from stable homes and strong relationships.")]
    pdf = make_pdf(tmp_path / "r.pdf", [
        line,  # the cover: no number
        line + [(70, 800, FOOTER, "helv", 8), (290, 810, "2", "helv", 10)],  # ILACS footer
        line + [(290, 758, "3")],  # SIF 2014: printed at 90% of the height, inside the body band
        line + [(70, 30, "Norfolk County Council Inspection of looked after children services"),
                (520, 30, "1")],  # LAC 2013: in the header, numbered from the third PDF page
        line + [(250, 810, "Page 5 of 12", "helv", 9)],
        line + [(290, 420, "6")],  # a number mid-page (a table cell) is no page number
    ])
    pages = read_pages(pdf)
    assert [p.label for p in pages] == [None, "2", "3", "1", "5", None]
    assert all("Inspection of Norfolk" not in p.text for p in pages)


def test_paragraphs_carry_the_printed_number_of_the_page_holding_their_first_words():
    pages = [
        Page(3, "## Inspection findings\n\nThe local authority has strengthened its front door.\n"
                "Managers now review every contact within a day, and", label="1"),
        Page(4, "decisions are recorded clearly.\n\nSocial workers know their children well.",
             label="2"),
    ]
    first, second = split_pages(pages)
    assert (first.page, first.page_label) == (3, "1")
    assert (second.page, second.page_label) == (4, "2")


def test_text_and_markdown_pages_print_no_number():
    assert {p.label for p in read_pages(SEEDS / "blackpool-2012-child-protection-inspection.md")} == {None}
    assert {p.page_label for p in split("blackburn-with-darwen-2022-ilacs-inspection.txt")} == {None}


# --- heading as printed, and place under it --------------------------------------------------


def test_items_cite_the_heading_as_printed_and_their_place_under_it(ilacs_2022):
    items = [p for p in ilacs_2022 if p.kind == "item"]
    assert {p.heading for p in items} == {"What needs to improve?"}
    assert [p.ordinal for p in items] == list(range(1, 11))
    assert items[3].text.startswith("The quality of planning for children and care leavers")


def test_prose_under_the_title_counts_from_the_first_paragraph_after_the_judgement_table(ilacs_2022):
    # Page 1: title, inspection dates, lead inspector, the judgement table, then four paragraphs.
    prose = [p for p in ilacs_2022 if p.kind == "prose" and not p.boilerplate][:4]
    assert {p.heading for p in prose} == {"Inspection of Blackburn with Darwen local authority children’s services"}
    assert [p.ordinal for p in prose] == [1, 2, 3, 4]
    assert prose[2].text.startswith("The local authority has prioritised areas for development")


def test_numbered_paragraphs_count_under_their_heading_which_keeps_its_printed_grade(ilacs_2022):
    by_number = {p.number: p for p in numbered(ilacs_2022)}
    heading = "The experiences and progress of children in care and care leavers: requires improvement to be good"
    assert by_number[17].heading == heading
    assert by_number[17].section == "The experiences and progress of children in care and care leavers"
    assert (by_number[17].ordinal, by_number[18].ordinal) == (1, 2)


ILACS_2026_PAGE_1_2 = [
    Page(1, (
        "Inspection of Norfolk local authority\nchildren’s services\n\n"
        "Inspection dates: 23 to 27 February 2026\n\n"
        "Lead inspector: Rodica Cobarzan, His Majesty’s Inspector\n\n"
        "## Judgement\n## Grade\n\n"
        "The impact of leaders on social work\npractice with children and families\nOutstanding\n\n"
        "The experiences and progress of care\nleavers\nOutstanding\n\n"
        "Overall effectiveness\nOutstanding\n\n"
        "Children in Norfolk receive consistently strong services that impact positively on their\n"
        "and their families’ lives.\n"
    ), label=None),
    Page(2, (
        "## What needs to improve?1\n"
        "- Stronger recognition and consideration of young carers who receive statutory\n"
        "services, building on existing community support. (outcome 1, national\nframework)\n\n"
        "## The experiences and progress of children who need help and\n## protection: outstanding\n\n"
        "1. Children in need of help and protection benefit from the input from high-quality\n"
        "multidisciplinary teams.\n"
    ), label="2"),
]


def test_grades_table_headers_front_matter_and_footnote_marks_are_not_headings():
    paragraphs = split_pages(ILACS_2026_PAGE_1_2)
    summary = next(p for p in paragraphs if p.text.startswith("Children in Norfolk"))
    assert (summary.heading, summary.ordinal) == ("Inspection of Norfolk local authority children’s services", 1)
    item = next(p for p in paragraphs if p.kind == "item")
    assert (item.page_label, item.heading, item.ordinal) == ("2", "What needs to improve?", 1)
    first = next(p for p in paragraphs if p.number == 1)
    assert first.heading == "The experiences and progress of children who need help and protection: outstanding"
    headings = {p.heading for p in paragraphs}
    assert not headings & {"Outstanding", "Judgement Grade", "Overall effectiveness Outstanding"}
    assert not any(h.startswith(("Inspection dates", "Lead inspector")) for h in headings)


def test_a_grade_cell_or_a_wrapped_table_cell_is_not_part_of_a_heading():
    # Sandwell 2013: the heading at the foot of page 18, its grade cell at the top of page 19.
    # SIF 2015 page 1: "2. Children looked after and achieving" wraps to a bold "permanence".
    pages = [
        Page(1, "## Children’s services in Kent are good\n\n1. Children who need help and protection\n"
                "Requires improvement\n\n2. Children looked after and achieving\n## permanence\nGood\n\n"
                "The local authority leads effective services that meet the requirements for good."),
        Page(18, "## Leadership and management"),
        Page(19, "## Grade 4 (Inadequate)\n\nLeadership and management of the looked after children "
                 "service is inadequate."),
    ]
    paragraphs = [p for p in split_pages(pages) if not p.boilerplate]
    assert [p.heading for p in paragraphs][-2:] == ["Children’s services in Kent are good", "Leadership and management"]


def test_a_sub_heading_line_after_a_finished_sentence_starts_its_own_list():
    # Leeds 2015, page 3: "Quality of practice" sits right under the last bullet of the previous list.
    page = Page(3, clean_text(
        "## Children’s services in Leeds are good because:\n\nLeadership and management\n\n"
        "\uf06e Children’s services in Leeds benefit from outstanding, inspirational and confident\n"
        "operational and political leadership.\n"
        "\uf06e The local authority has taken a thoughtful and methodical approach to\n"
        "improvement and has followed the child’s journey.\n"
        "Quality of practice\n\n"
        "\uf06e There have been significant improvements in every part of the local authority’s\n"
        "arrangements for safeguarding children and young people.\n"
    ))
    items = [(p.heading, p.ordinal, p.text.split()[0]) for p in split_pages([page])]
    assert items == [
        ("Leadership and management", 1, "Children’s"),
        ("Leadership and management", 2, "The"),
        ("Quality of practice", 1, "There"),
    ]


def test_lines_that_end_paragraphs_near_page_breaks_are_not_taken_for_running_headers():
    # Bedford 2017: "(Recommendation)" ends many findings, several of them at a page foot; and
    # Somerset 2015 prints the sub-heading "Leadership, management and governance" at the top of
    # two pages.  Only a line that recurs at most page breaks is a running header or footer.
    pages = [Page(1, "## Recommendations\n\n1. Improve the quality of plans.")]
    for n in range(2, 13):
        top = "Leadership, management and governance\n\n" if n in (3, 4) else ""
        pages.append(Page(n, (
            f"{top}Inspection of Bedford local authority children’s services\n\n"
            f"{n}. Managers do not always record their oversight of plans for children number {n}.\n"
            "(Recommendation)"
        )))
    paragraphs = split_pages(pages)
    assert [p.number for p in paragraphs] == list(range(1, 13))
    assert all(p.text.endswith("(Recommendation)") for p in paragraphs[1:])
    assert all("Inspection of Bedford" not in p.text for p in paragraphs)
    assert [p.heading for p in paragraphs[2:5]] == ["Leadership, management and governance"] * 3


# --- headings you can trust: whole headings, normalised sections ------------------------------


def headed(text: str) -> list:
    """The paragraphs under a heading block, for the heading and section they cite."""
    return [p for p in split_pages([Page(1, text)]) if not p.boilerplate]


@pytest.mark.parametrize(
    ("printed", "heading", "section"),
    [
        # Heading lines exactly as the corpus PDFs print them (SIF 2014-2018, ILACS 2018-2026).
        ("## The graded judgement about the experience and progress of care leavers\n"
         "## is that it requires improvement.",
         "The graded judgement about the experience and progress of care leavers is that it requires improvement.",
         "Experience and progress of care leavers"),
        ("## The graded judgment for adoption performance is good",
         "The graded judgment for adoption performance is good", "Adoption performance"),
        ("## The impact of leaders on social work practice with children and\n## families is good",
         "The impact of leaders on social work practice with children and families is good",
         "The impact of leaders on social work practice with children and families"),
        ("## The experiences and progress of children looked after and achieving\n## permanence are good.",
         "The experiences and progress of children looked after and achieving permanence are good.",
         "The experiences and progress of children looked after and achieving permanence"),
        ("## The experiences and progress of children in care and care\n## leavers is: Outstanding",
         "The experiences and progress of children in care and care leavers is: Outstanding",
         "The experiences and progress of children in care and care leavers"),
        ("## What needs to improve?1", "What needs to improve?", "What needs to improve?"),
        # SIF 2015-2018 print the grade in a cell under the heading, as bold as the heading.
        ("## Leadership, management and\n## governance\n## Outstanding",
         "Leadership, management and governance", "Leadership, management and governance"),
        ("## The experiences and progress of\n## children who need help and\n## protection\n"
         "## Requires improvement\n## to be good",
         "The experiences and progress of children who need help and protection",
         "The experiences and progress of children who need help and protection"),
    ],
)
def test_headings_are_whole_and_sections_carry_no_grade_verb_or_footnote_mark(printed, heading, section):
    (paragraph,) = headed(f"{printed}\n\n1. Care leavers are well supported by their personal advisers.")
    assert (paragraph.heading, paragraph.section) == (heading, section)


def test_a_grade_cell_alone_changes_neither_heading_nor_section():
    # Norfolk 2013: the heading at the foot of one page, "Grade 4 (Inadequate)" atop the next.
    pages = [Page(12, "## Outcomes for looked after children and young people\n\n1. The virtual school supports "
                      "children well."),
             Page(13, "## Grade 4 (inadequate)\n\n2. The PEPs seen by inspectors were not all good quality.")]
    second = split_pages(pages)[-1]
    assert (second.heading, second.section) == (
        "Outcomes for looked after children and young people", "Outcomes for looked after children and young people"
    )


def test_the_overall_judgement_and_its_bold_description_are_two_lines_not_one_heading():
    # Birmingham 2014, page 1.
    (paragraph,) = headed(
        "## The overall judgement is Inadequate\n## There are widespread and serious failures that leave children\n"
        "## and young people at risk of harm\nIt is Ofsted’s expectation that, as a minimum, all children and young "
        "people receive good help, care and protection."
    )
    assert (paragraph.heading, paragraph.section) == ("The overall judgement is Inadequate", "Summary")


def test_a_heading_left_on_a_verb_takes_the_grade_printed_under_it():
    # Cambridgeshire 2014, page 1: the judgement in regular type, its grade in bold below.
    (paragraph,) = headed(
        "The effectiveness of the Local Safeguarding Children Board (LSCB) is\n## good\n"
        "The LSCB coordinates the activity of statutory partners and has mechanisms in place."
    )
    assert paragraph.heading == "The effectiveness of the Local Safeguarding Children Board (LSCB) is good"
    assert paragraph.section == "The effectiveness of the Local Safeguarding Children Board (LSCB)"


def test_lscb_findings_after_its_recommendations_belong_to_the_lscb():
    # Worcestershire 2017: "Executive summary" and "Recommendations" sit beside the findings.
    paragraphs = headed(
        "## The Local Safeguarding Children Board requires improvement\n\n## Executive summary\n\n"
        "The board has not sought assurance from partners about their audits.\n\n## Recommendations\n\n"
        "1. Ensure that the board monitors single-agency action plans.\n\n## Inspection findings\n\n"
        "2. No SCRs have been initiated in the past two years."
    )
    assert [p.section for p in paragraphs] == [
        "Executive summary", "Recommendations", "The Local Safeguarding Children Board: Inspection findings"
    ]
    assert paragraphs[-1].heading == "Inspection findings"


def test_areas_for_improvement_after_priority_action_belong_to_what_needs_to_improve():
    # Bexley 2014.
    paragraphs = headed(
        "## What does the local authority need to improve?\n\n## Priority and immediate action\n\n"
        "1. There are no priority actions for this inspection.\n\n## Areas for improvement\n\n"
        "2. Ensure that all looked after children know the name of their Independent Reviewing Officer."
    )
    assert paragraphs[-1].section == "What does the local authority need to improve?: Areas for improvement"


def test_a_plain_sub_heading_over_its_list_is_the_heading_of_its_items():
    # Lincolnshire 2015, page 3: "Adoption" sits right over its bullet, no gap between.
    paragraphs = headed(
        "## Children’s services in Lincolnshire are good because:\n\nLeadership and management\n\n"
        "- Governance in Lincolnshire is effective and partnership arrangements are robust.\n\n"
        "Adoption\n- High priority is given to children achieving timely permanence through adoption."
    )
    assert [(p.heading, p.ordinal) for p in paragraphs] == [("Leadership and management", 1), ("Adoption", 1)]


# --- boilerplate -------------------------------------------------------------------------------


def test_grade_descriptors_email_alerts_and_staff_lines_are_boilerplate():
    # Waltham Forest 2015, Hillingdon 2014 ("judgments"), Bolton 2014, Bedford 2017.
    paragraphs = split_pages([Page(45, (
        "## What the inspection judgements mean\n\n## The local authority\n\n"
        "An outstanding local authority leads highly effective services that contribute to significantly "
        "improved outcomes for children.\n\n## The LSCB\n\nAn LSCB that is inadequate does not demonstrate that it "
        "has effective arrangements in place.\n\n## What the inspection judgments mean: the LSCB\n\n"
        "An LSCB that is good coordinates the activity of statutory partners.\n\n"
        "To receive regular email alerts about new publications please visit our website and go to ‘Subscribe’.\n\n"
        "## Senior analytical officer: Stewart Hartshorne\n\nQuality assurance manager: John Mitchell, SHMI"
    ))])
    assert paragraphs and all(p.boilerplate for p in paragraphs)
    assert not any("analytical officer" in p.section for p in paragraphs)


def test_the_judgement_table_on_page_1_does_not_take_paragraph_numbers_1_to_3():
    # Warwickshire 2017: the table's rows are numbered 1-3, and so are its first recommendations.
    pages = [
        Page(1, "## Children’s services in Warwickshire require improvement to be good\n\n"
                "1. Children who need help and protection\n## Requires improvement\n\n"
                "2. Children\n## Looked after and achieving permanence\n## Requires improvement\n\n"
                "3. Leadership, management and governance\n## Requires improvement\n"),
        Page(7, "## Recommendations\n\n1. Ensure that all children and families have access to good-quality early "
                "help.\n\n2. Ensure that the workloads of social workers are reduced.\n\n3. Accelerate plans to "
                "integrate the electronic recording system.\n\n4. Ensure that there are sufficient placements."),
    ]
    numbered_paragraphs = [p for p in split_pages(pages) if p.kind == "numbered"]
    assert [(p.number, p.page) for p in numbered_paragraphs] == [(1, 7), (2, 7), (3, 7), (4, 7)]
    assert numbered_paragraphs[0].text.startswith("Ensure that all children")


# --- footnotes and sub-bullets -----------------------------------------------------------------


def test_a_footnote_is_its_own_paragraph_and_the_paragraph_it_interrupts_carries_on():
    # Camden 2025, pages 2-3, as the PDF reader gives them.
    pages = [
        Page(2, "## What needs to improve?\n\n1. Social workers carry out tailored direct work that enables "
                "children to explain their\n\n[^1]: The areas for improvement have been cross-referenced with "
                "the outcomes, enablers or principles in the Children’s Social Care: National Framework.\n"),
        Page(3, "experiences and helps children to trust them.\n\n2. Strategy meetings are well attended."),
    ]
    one, note, two = split_pages(pages)
    assert one.text.endswith("enables children to explain their experiences and helps children to trust them.")
    assert (note.key, note.page, note.heading, note.ordinal) == ("f1", 2, "What needs to improve?", 0)
    assert note.text.startswith("1 The areas for improvement") and note.boilerplate  # an Ofsted template note
    assert (two.number, two.page) == (2, 3)


def test_sub_bullets_stay_with_the_item_that_introduces_them():
    # Haringey 2014, "Children living in this area", as the PDF reader gives it.
    paragraphs = split_pages([Page(9, (
        "## Children living in this area\n\n- The proportion of children entitled to free school meals:\n"
        "  - in primary schools is 26.4% (the national average is 18.1%)\n"
        "  - in secondary schools is 32.6% (the national average is\n15.1%).\n"
        "- Children and young people from minority ethnic groups account for 70% of all children."
    ))])
    assert [p.kind for p in paragraphs] == ["item", "item"]
    assert paragraphs[0].text == (
        "The proportion of children entitled to free school meals:\n"
        "- in primary schools is 26.4% (the national average is 18.1%)\n"
        "- in secondary schools is 32.6% (the national average is 15.1%)."
    )


def test_pdf_footnote_marks_are_dropped_and_footnotes_leave_the_paragraph(tmp_path):
    # A paragraph running over a page break with a footnote (8pt) at the foot of the first page
    # and its mark (7pt, raised) after "schools".
    import pymupdf

    first = "Seven children live in residential special schools"
    width = pymupdf.get_text_length(first, fontname="helv", fontsize=11)
    page1 = body([
        "Children looked after by the local authority are mostly placed within the county.",
        "The placements are well matched to their needs, and children are settled.",
    ], top=640) + [
        (70, 700, first), (70 + width, 696, "3", "helv", 7), (70 + width + 4, 700, ", of whom all live out of the"),
        (70, 780, "3 These are residential special schools that look after children for fewer than 295 days.",
         "helv", 8),
        (290, 810, "10"),
    ]
    page2 = body(["authority area, and are visited regularly by their social workers."]) + [(290, 810, "11")]
    pdf = make_pdf(tmp_path / "r.pdf", [page1, page2])
    paragraphs = split_pages(read_pages(pdf))
    texts = [p.text for p in paragraphs]
    assert "Seven children live in residential special schools, of whom all live out of the authority area, and "\
           "are visited regularly by their social workers." in " ".join(texts)
    note = next(p for p in paragraphs if p.key == "f3")
    assert (note.page, note.text) == (1, "3 These are residential special schools that look after children for "
                                         "fewer than 295 days.")
    assert not any("schools3" in t or "295 days. authority" in t for t in texts)


def test_pdf_sub_bullets_are_indented_bullets(tmp_path):
    # Haringey 2014, page 9: bullets at 99pt from the left edge, sub-bullets at 134pt.
    import pymupdf

    document = pymupdf.open()
    page = document.new_page(width=A4[0], height=A4[1])
    page.insert_font(fontname="bul", fontbuffer=pymupdf.Font("cjk").buffer)  # has "•"
    page.insert_text((70, 100), "Children living in this area", fontname="hebo", fontsize=12)
    for x, y, text in [
        (99, 130, "The proportion of children entitled to free school meals:"),
        (134, 150, "in primary schools is 26.4% (the national average is 18.1%)"),
        (134, 170, "in secondary schools is 32.6% (the national average is 15.1%)."),
        (99, 190, "Children and young people from minority ethnic groups account for 70%."),
    ]:
        page.insert_text((x, y), "•", fontname="bul", fontsize=11)
        page.insert_text((x + 12, y), text, fontname="helv", fontsize=11)
    document.save(str(tmp_path / "r.pdf"))
    items = [p for p in split_pages(read_pages(tmp_path / "r.pdf")) if p.kind == "item"]
    assert [p.text for p in items] == [
        "The proportion of children entitled to free school meals:\n"
        "- in primary schools is 26.4% (the national average is 18.1%)\n"
        "- in secondary schools is 32.6% (the national average is 15.1%).",
        "Children and young people from minority ethnic groups account for 70%.",
    ]


def test_pdf_contents_page_is_boilerplate_and_stacked_title_lines_are_separate_headings(tmp_path):
    # York 2017: a contents page after a page whose last line runs full width; Kent 2017's title.
    cover = [(71, 100, "Kent County Council", "hebo", 26),
             (71, 140, "Inspection of services for children in need of help and protection", "hebo", 14),
             (71, 700, "The local authority has high aspirations for their care leavers and supports them.")]
    contents = [(71, 100, "Contents", "helv", 26)] + [
        (85, 140 + 25 * i, entry, "helv", 14) for i, entry in enumerate(
            ["Executive summary", "Recommendations", "Summary for children and young people",
             "Leadership, management and governance", "Information about this inspection"])
    ] + [(510, 140 + 25 * i, str(n), "helv", 14) for i, n in enumerate([3, 3, 4, 4, 5])]
    later = [[(71, 100, f"Page {n} holds the findings of this report, in full sentences.")] for n in (3, 4, 5)]
    paragraphs = split_pages(read_pages(make_pdf(tmp_path / "r.pdf", [cover, contents, *later])))
    aspirations = next(p for p in paragraphs if p.text.startswith("The local authority has high"))
    assert aspirations.text.endswith("supports them.") and not aspirations.boilerplate
    assert aspirations.heading == "Inspection of services for children in need of help and protection"
    assert all(p.boilerplate for p in paragraphs if p.page == 2)
    assert any("Executive summary 3" in p.text for p in paragraphs if p.page == 2)
