"""Pages -> citable paragraphs: Ofsted's own numbers, sections, list items, boilerplate.

The splitter works on the text conventions every reader produces ("## " headings, "- " bullets,
blank lines between blocks) and repairs what extraction breaks:

* running headers, footers and page numbers inside a paragraph are dropped;
* a paragraph split by a page break is joined again, and line-break hyphenation is repaired
  without breaking real hyphens ("Over-\\noptimism" stays, "informa-\\ntion" is mended);
* a number that sits mid-line after a page break (" 43. ...") or in a list item ("- 10. ...")
  is still the paragraph's number; a paragraph that lost its number between n and n+2 gets n+1;
* list items and unnumbered prose get stable synthetic keys (i1, i2, ...; s1, s2, ...);
* a sub-bullet ("  - " under a list item or a lead-in ending ":") stays with the item it belongs to;
* a footnote ("[^3]: ..." as the readers give it) is its own paragraph (key f3), cited to its page,
  and the paragraph it interrupts carries on across the page break.

Each paragraph cites the page holding its first words, with the number printed on that page,
and the heading above it as printed with its place under that heading, so an unnumbered
paragraph can be found as a reader would: "page 2, 'What needs to improve?', item 4".  The
`section` is that heading normalised: no grade, footnote mark or judgement verb ("The graded
judgement for adoption performance is that it is good" -> "Adoption performance").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from findings.models import Page, Paragraph
from findings.vocabulary import GRADE_PATTERN

_NUMBERED = re.compile(r"^(?:-\s+)?(\d{1,3})\.\s+(\S.*)$")
_BARE_NUMBER = re.compile(r"^(\d{1,3})\.$")
_BULLET = re.compile(r"^-\s+(.*)$")
_HEADING = re.compile(r"^##\s+(.*)$")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?$", re.I)
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_RUNNING_HINT = re.compile(
    rf"^(?:Inspection of .*(?:services|children)|Joint targeted area inspection|Focused visit to|"
    rf"Monitoring visit to)|^\d{{1,2}}(?: {_MONTH})?(?: \d{{4}})? (?:to|–|-) \d{{1,2}} {_MONTH} \d{{4}}$"
)
_GRADE_WORDS = GRADE_PATTERN
_GRADE_ONLY = re.compile(rf"^{_GRADE_WORDS}$", re.I)
_GRADE_START = re.compile(rf"^{_GRADE_WORDS}\b", re.I)
_ENDS_WITH_GRADE = re.compile(rf"\s{_GRADE_WORDS}$", re.I)
_GRADE_OR_TAIL = re.compile(rf"^(?:{_GRADE_WORDS}|improvement(?: to be good)?|to be good)\W*$", re.I)
# A grade cell printed under or beside a heading: capitalised, not joined to it by ":" or a verb.
_CAPITAL_GRADE = r"(?:Outstanding|Good|Requires improvement(?: to be good)?|Inadequate|Adequate)"
_GRADE_CELL_LINE = re.compile(rf"^{_CAPITAL_GRADE}\W*$")
_GRADE_CELL_END = re.compile(rf"(?<!:)(?<!\bis)(?<!\bare)(?<!\bbe)\s+{_CAPITAL_GRADE}$")
# A heading line that ends a heading: the next bold line starting a capital is another heading.
_ENDS_HEADING = re.compile(rf"(?:\b{_GRADE_WORDS}\.?|\?)$", re.I)
# "... (LSCB) is" over a grade printed on the next line: one heading, not a heading and a grade.
_DANGLING = re.compile(r"\b(?:is|are|requires?|is that it(?: is)?)\s*:?$", re.I)
_GRADED_JUDGEMENT = re.compile(
    rf"^The graded judge?ment (?:for|about|on) (?:the )?(.+?)(?:\s+(?:is|are)\b.*|\s+{_GRADE_WORDS}\b.*)?$", re.I
)
_SECTION_GRADE = re.compile(rf"[\s:]*\b{_GRADE_WORDS}[\s.:]*$", re.I)
_SECTION_VERB = re.compile(r"\s+(?:is|are)(?:\s+that\s+(?:it|they|is))?(?:\s+(?:is|are))?\s*:?$", re.I)
_SUMMARY_ROW = re.compile(r"^(children['’]s services in |the overall judgement)", re.I)
_TERMINAL = re.compile(r"[.!?:;)\]’'\"”]\s*$")
# What is printed bold like a heading but is not one a reader would cite a paragraph under.
_FOOTNOTE_MARK = re.compile(r"(?:(?<=[^\W\d_])|(?<=[?!.:)’”]))\d{1,2}$")  # "improve?1"
_GLUED_FRONT_MATTER = re.compile(
    r"\s+(?:inspection dates?|report published|lead inspector)\b.*$", re.I
)
_GRADE_SUFFIX = re.compile(r"\s+grade \d(?:\s*\([\w ]+\))?$", re.I)  # "... Grade 4 (Inadequate)"
_GRADE_CELL = re.compile(rf"^(?:{_GRADE_WORDS}|grade \d(?: \([\w ]+\))?|not judged)\W*$", re.I)
_TABLE_CELL = r"(?:key )?judge?ments?|(?:inspection )?grade"  # "Key judgement", "Judgement grade"
_TABLE_HEADER = re.compile(rf"^(?:{_TABLE_CELL})(?: (?:{_TABLE_CELL}))*$", re.I)
# The bold sentence under "The overall judgement is Inadequate" describes the grade; no heading.
_GRADE_DESCRIPTION = re.compile(r"^There (?:are|is) (?:no )?widespread\b", re.I)
# Rows of the SIF page-1 judgement table are numbered 1-3 but are no paragraphs 1-3.
_TABLE_ROWS = (
    "children who need help and protection",
    "children looked after and achieving permanence",
    "leadership, management and governance",
)
_SUB_ROWS = ("adoption performance", "experiences and progress of care leavers")  # "2.1", "2.2"
_ROW_NUMBER = re.compile(r"^\d(?:\.\d)?\.?\s+")
_GRADE_ROW = re.compile(
    rf"(?:protection|leavers|families|effectiveness|permanence|performance|governance|in care)\s*:?\s*"
    rf"(?:{_GRADE_WORDS}|not judged)",
    re.I,
)
_SENTENCE_END = re.compile(r"[a-z][.!?](?:\s|$)")
_FOOTNOTE = re.compile(r"^\[\^(\d{1,3})\]:\s*(.*)$")
_SUB_BULLET = re.compile(r"^[ \t]+-\s+(\S.*)$")

# Bold lines that name the report's staff or dates, not a section.
_FRONT_MATTER = re.compile(
    r"^(inspection dates?|(deputy )?lead inspectors?|report published|published|age group|inspected"
    r"|(team|shadow|associate|regulatory) inspectors?|senior data analysts?"
    r"|quality assurance managers?)\b"
    r"|^[\w ,’'-]{0,40}\b(?:inspectors?|analysts?|officers?|managers?|author)\s*:"  # "Senior analytical officer: ..."
    r"|^(?:[A-Z][\w’'.-]+ ){1,3}S?HMI\b",  # "Marcie Taylor HMI, Anji Parker HMI, ..."
    re.I,
)
_TABLE_HEADERS = {"judgement grade", "judgement", "grade", "judgement grade judgement grade"}
# Sub-headings that refine rather than replace the current section, and headings that stand
# beside the section they follow rather than under it ("Recommendations" is no parent of the
# "Inspection findings" after it: both belong to the LSCB heading above them).
_SUBHEADINGS = {"summary", "inspection findings", "areas for improvement"}
_SIBLINGS = {
    "executive summary", "recommendations", "priority and immediate action", "priority actions",
    "summary of findings", "summary of key findings",
}
# The area a report describes: a section of its own that no sub-heading belongs to.
_CONTEXT = re.compile(
    r"in this (?:local authority )?area$|^information about th(?:is|e) (?:local authority )?area"
    r"|^(?:other|previous) ofsted inspections?$|^local leadership$|^other information about",
    re.I,
)

_BOILERPLATE_SECTIONS = re.compile(
    r"^(contents|information about th(?:is|e) (?:local authority )?(?:inspection|review)"
    r"|what the (?:local authority )?inspection judge?ments mean"
    r"|the inspection team|the inspection judge?ments and what they mean|about this inspection)\b",
    re.I,
)
# Headings under a boilerplate section that stay in it ("What the inspection judgements mean",
# then "The local authority", "The LSCB").
_BOILERPLATE_SUBHEADINGS = {
    "the local authority", "the lscb", "the local safeguarding children board", "the inspection team",
}
_BOILERPLATE_TEXT = re.compile(
    r"Ofsted\)? regulates and inspects|If you would like a copy of this document"
    r"|You may reuse this information|Open Government Licence"
    r"|This (?:report|publication) is available at"
    r"|Interested in our work\?|Piccadilly Gate|Crown copyright|Ofsted produces this report under"
    r"|Further copies of this report|This document may be reproduced|following four point scale"
    r"|enquiries@ofsted\.gov\.uk|Textphone|www\.gov\.uk/ofsted|Store Street"
    r"|email alerts|complaints about the inspection or the report|making complaints about Ofsted"
    r"|was given the opportunity to review this section|have been cross-referenced with the outcomes"
    r"|residential special schools that look after children for"
    r"|full description of what the inspection judge?ments mean",
    re.I,
)

_HYPHEN_KEEP_PREFIXES = {
    "over", "under", "non", "semi", "self", "well", "long", "short", "multi", "co", "pre",
    "post", "cross", "anti", "inter", "high", "low", "full", "part", "step", "sub", "out",
    "on", "off", "up", "down", "mid", "ex", "re", "de", "year", "child", "time", "face",
}
_SUFFIX_FRAGMENTS = {
    "tion", "tions", "sion", "sions", "ment", "ments", "ness", "ity", "ities", "ance", "ence",
    "ances", "ences", "ally", "ing", "ings", "ised", "ized", "ise", "ize", "ation", "ations",
    "ly", "ful", "less", "ous", "ive", "ives", "ate", "ated", "ates", "ble", "bly", "ial",
}


@dataclass
class _Draft:
    kind: str
    number: int | None
    section: str
    page: int
    lines: list[str] = field(default_factory=list)
    boilerplate: bool = False
    inferred: bool = False
    heading: str = ""
    under: int = 0  # which heading this sits under: 1 for the first heading in the report
    footnote: int | None = None  # the footnote's mark, for a footnote

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def split_pages(pages: list[Page]) -> list[Paragraph]:
    """Split a report's pages into paragraphs (report_id left empty for the caller to set)."""
    lines = _strip_running_lines(pages)
    vocabulary = _vocabulary(lines)
    drafts = _Splitter(vocabulary).run(lines)
    _infer_lost_numbers(drafts)
    return _finish(drafts, {page.number: page.label for page in pages})


# --- running headers, footers and page numbers -------------------------------------------


def _strip_running_lines(pages: list[Page]) -> list[tuple[int, str]]:
    """All lines as (page, text), minus page numbers and lines that repeat around page breaks."""
    lines = [(page.number, line.rstrip()) for page in pages for line in page.text.split("\n")]
    norm = [_norm(text) for _, text in lines]
    near_break: Counter[str] = Counter()
    hinted: set[str] = set()
    breaks = [i for i, t in enumerate(norm) if _PAGE_NUMBER.match(t) and not _in_contents(norm, i)]
    # Pages as given by the reader are breaks too: their first and last lines.
    starts = [i for i in range(1, len(lines)) if lines[i][0] != lines[i - 1][0]]
    nearby = {j for i in breaks + starts for j in _nearby_nonblank(norm, i, 3)}
    for j in nearby:  # each line counted once, however many breaks it sits near
        near_break[norm[j]] += 1
        if _RUNNING_HINT.match(norm[j]):
            hinted.add(norm[j])
    # A running line recurs at most breaks; a line starting in lower case or "(" ends a
    # sentence or a list item ("(Recommendation)"), and a sub-heading recurs at a few breaks.
    enough = max(2, (len(breaks) + len(starts)) // 4)
    running = {
        t
        for t, n in near_break.items()
        if n >= enough and len(t) >= 8 and not t.startswith("##") and not _ends_something(t)
    }
    running |= hinted
    running |= {t for t, n in near_break.items() if n >= 3 and t.startswith("## ") and len(t) >= 25}
    kept: list[tuple[int, str]] = []
    for (page, text), t in zip(lines, norm, strict=True):
        if _PAGE_NUMBER.match(t) or (t in running):
            kept.append((page, ""))
        else:
            kept.append((page, text))
    return kept


def _ends_something(line: str) -> bool:
    """A line in lower case or in brackets ends a sentence or a list item, never runs."""
    return line[:1].islower() or line.startswith("(")


def _in_contents(norm: list[str], i: int) -> bool:
    """Is this page number one of a list of them (a contents page), not a page's own?"""
    near = norm[max(0, i - 4) : i] + norm[i + 1 : i + 5]
    return any(_PAGE_NUMBER.match(t) for t in near if t)


def _nearby_nonblank(norm: list[str], i: int, n: int) -> list[int]:
    found = []
    for step in (-1, 1):
        j, seen = i + step, 0
        while 0 <= j < len(norm) and seen < n:
            if norm[j]:
                found.append(j)
                seen += 1
            j += step
    return found


def _norm(text: str) -> str:
    return " ".join(text.split())


# --- hyphenation ----------------------------------------------------------------------------


def _vocabulary(lines: list[tuple[int, str]]) -> set[str]:
    words: set[str] = set()
    for _, text in lines:
        words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]+[A-Za-z]", text))
    return words


def _join(left: str, right: str, vocabulary: set[str]) -> str:
    """Join two wrapped lines, repairing line-break hyphenation without breaking real hyphens."""
    left, right = left.rstrip(), right.strip()
    if not left:
        return right
    match = re.search(r"([A-Za-z]+)-$", left)
    first = re.match(r"([a-z]+)", right)
    if match and first:
        head, tail = match.group(1).lower(), first.group(1)
        joined, hyphened = head + tail, f"{head}-{tail}"
        mend = (joined in vocabulary and hyphened not in vocabulary) or (
            hyphened not in vocabulary
            and tail in _SUFFIX_FRAGMENTS
            and head not in _HYPHEN_KEEP_PREFIXES
        )
        return left[:-1] + right if mend else left + right
    return f"{left} {right}"


# --- the block machine ----------------------------------------------------------------------


class _Splitter:
    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = vocabulary
        self.drafts: list[_Draft] = []
        self.section = ""
        self.major = ""
        self.next_number = 1
        self.current: _Draft | None = None
        self.lone_line = False
        self.heading = ""  # as printed
        self.headings = 0  # headings seen so far
        self.in_table = False  # between a "Judgement Grade" header and the next paragraph
        self.in_boilerplate = ""  # the boilerplate heading ("What the inspection judgements mean") it is under

    def run(self, lines: list[tuple[int, str]]) -> list[_Draft]:
        blocks = _join_dangling(_blocks(lines))
        for index, block in enumerate(blocks):
            # What follows a block on the page, past any footnotes printed between.
            later = (b for b in blocks[index + 1 :] if not _FOOTNOTE.match(b[0][1].strip()))
            self._block(block, _texts(next(later, [])))
        return self.drafts

    def _block(self, block: list[tuple[int, str]], following: list[str]) -> None:
        """One block of lines; each line keeps its own page, as a block may run over a break."""
        texts = _texts(block)
        page = block[0][0]
        if _FOOTNOTE.match(texts[0].strip()):
            self._footnotes(block)
            return
        if all(_HEADING.match(b.strip()) for b in texts):
            lines = [_HEADING.match(b.strip()).group(1) for b in texts]
            for heading in _stacked_headings(lines):
                self._heading(page, heading, following)
            return
        if len(texts) > 1 and _short_title(texts[0].strip()) and _BULLET.match(texts[1].strip()):
            # A plain sub-heading printed right over its list ("Adoption" over "- High priority
            # is given to ..."): the heading of the items below it.
            self._heading(page, texts[0].strip(), texts[1:])
            block, texts = block[1:], texts[1:]
        elif _looks_like_plain_heading(texts, following):
            # "Overall effectiveness" over "Outstanding", or any plain line under a table
            # header ("Judgement Grade"): a row of a judgement table, not a heading.
            row = self.in_table or any(
                _GRADE_START.match(texts[i].strip()) and not _DANGLING.search(texts[i - 1].strip())
                for i in range(1, len(texts))
            )
            self._heading(page, " ".join(b.strip() for b in texts), following, row)
            return
        self.lone_line = len(block) == 1
        for i, (line_page, raw) in enumerate(block):
            self._line(line_page, raw, block_start=(i == 0))

    def _footnotes(self, block: list[tuple[int, str]]) -> None:
        """Footnotes at a page foot: each its own paragraph; the paragraph they interrupt stays
        open, so that its words on the next page join it."""
        interrupted, in_table = self.current, self.in_table
        for page, raw in block:
            match = _FOOTNOTE.match(raw.strip())
            if match:
                self._open("prose", None, page, f"{match.group(1)} {match.group(2)}".strip())
                self.current.footnote = int(match.group(1))
            elif self.current is not None and self.current.footnote is not None:
                self._extend(page, raw.strip())
        self.current, self.in_table = interrupted, in_table

    def _heading(self, page: int, text: str, following: list[str], row: bool = False) -> None:
        """A heading sets the section; unless it is a table row, it is what paragraphs below
        it cite as their heading."""
        text = _norm(text.replace("## ", ""))
        self.current = None
        if (
            _GRADE_ONLY.match(text)
            or text.lower() in _TABLE_HEADERS
            or _TABLE_HEADER.match(text)
            or _FRONT_MATTER.match(text)
        ):
            self._open("prose", None, page, text, boilerplate=True)
            self.current = None
            self.in_table = self.in_table or text.lower() in _TABLE_HEADERS or bool(_TABLE_HEADER.match(text))
            return
        printed = "" if row else _printed_heading(text)
        if printed:
            self.heading = printed
            self.headings += 1
        elif not row:
            return  # a wrapped table cell, a grade cell or a descriptor: neither heading nor section
        self._section(text)

    def _section(self, text: str) -> None:
        """The section a heading opens: its name, under its major heading if it is a sub-heading."""
        name = _section_name(text)
        low = name.lower()
        if self.in_boilerplate and low in _BOILERPLATE_SUBHEADINGS:
            self.section = f"{self.in_boilerplate}: {name}"
            return
        if _SUMMARY_ROW.match(name):
            self.major = self.section = "Summary"
        elif low in _SUBHEADINGS:
            self.section = f"{self.major}: {name}" if self.major else name
        elif low in _SIBLINGS or _CONTEXT.search(name) or _BOILERPLATE_SECTIONS.match(name):
            self.section = name  # no parent of the sub-headings that follow
        else:
            self.major = self.section = name
        self.in_boilerplate = name if _BOILERPLATE_SECTIONS.match(self.section) else ""

    def _line(self, page: int, raw: str, block_start: bool) -> None:
        text = raw.strip()
        sub = _SUB_BULLET.match(raw)
        if sub and self._takes_sub_bullets():
            self.current.lines.append(f"\n- {sub.group(1)}")
            return
        numbered = _NUMBERED.match(text)
        if numbered and int(numbered.group(1)) <= 3 and _table_row(numbered.group(2)):
            self._open("prose", None, page, text, boilerplate=True)
            return
        if numbered and self._accept_number(
            int(numbered.group(1)), numbered.group(2), block_start, text.startswith("-")
        ):
            number = int(numbered.group(1))
            self.next_number = number + 1
            self._open("numbered", number, page, numbered.group(2))
            return
        bare = _BARE_NUMBER.match(text)
        if bare and int(bare.group(1)) == self.next_number:
            # "89." alone on its line: its text follows (perhaps on the next page), or never comes.
            self.next_number += 1
            self._open("numbered", int(bare.group(1)), page, "")
            return
        bullet = _BULLET.match(text)
        if bullet:
            body = bullet.group(1)
            if self.current is not None and self.current.kind != "item" and body[:1].islower():
                self._extend(page, body)
            elif self.current and self.current.kind == "numbered" and self.current.text.endswith(":"):
                self.current.lines.append(f"\n- {body}")
            else:
                self._open("item", None, page, body)
            return
        if self.current is not None and (not block_start or self._continues(text, block_start)):
            self._extend(page, text)
            return
        self._open("prose", None, page, text)

    def _takes_sub_bullets(self) -> bool:
        """Does the open paragraph take an indented bullet as part of itself: a list item, or a
        lead-in ending ":"?"""
        current = self.current
        if current is None or current.footnote is not None:
            return False
        return current.kind == "item" or current.text.rstrip().endswith(":") or "\n- " in current.text

    def _extend(self, page: int, text: str) -> None:
        """Carry the open paragraph on; its page is where its first words are."""
        if not self.current.text.strip():
            self.current.page = page
        self.current.lines[-1] = _join(self.current.lines[-1], text, self.vocabulary)

    def _accept_number(self, number: int, rest: str, block_start: bool, is_item: bool) -> bool:
        if self.lone_line and _ENDS_WITH_GRADE.search(rest) and len(rest) < 120:
            return False  # a row of a judgement table ("1. Children who need help ... Good")
        if number == self.next_number:
            return True
        # A gap of one or two: a number lost in extraction. Only at a block start, to avoid
        # taking a wrapped line that happens to begin "18. " for a new paragraph.
        return (block_start or is_item) and self.next_number < number <= self.next_number + 2

    def _continues(self, text: str, block_start: bool) -> bool:
        """Does this block carry on the open paragraph across a page break?"""
        if self.current is None or not text:
            return False
        previous = self.current.lines[-1].rstrip()
        if not _TERMINAL.search(previous):
            return True
        return text[0].islower()

    def _open(self, kind: str, number: int | None, page: int, text: str, boilerplate: bool = False) -> None:
        draft = _Draft(kind, number, self.section, page, [text], boilerplate or bool(self.in_boilerplate))
        draft.heading, draft.under = self.heading, self.headings
        self.in_table = self.in_table and boilerplate
        self.drafts.append(draft)
        self.current = draft


def _table_row(rest: str, rows: tuple[str, ...] = _TABLE_ROWS) -> bool:
    """Is this numbered line a row of the SIF judgement table ("1. Children who need help and
    protection Requires improvement"; "2. Children" wrapped), not a paragraph's first line?"""
    name = _SECTION_GRADE.sub("", rest).strip().lower()
    return bool(name) and any(
        row.startswith(name) and (len(name) == len(row) or row[len(name)] == " ") for row in rows
    )


def _join_dangling(blocks: list[list[tuple[int, str]]]) -> list[list[tuple[int, str]]]:
    """A heading left dangling on a verb ("... (LSCB) is") takes the grade printed on the next
    line as its end, as one plain heading."""
    joined: list[list[tuple[int, str]]] = []
    for block in blocks:
        texts = [_HEADING.sub(r"\1", t.strip()) for t in _texts(block)]
        if joined and _GRADE_OR_TAIL.match(" ".join(texts)) and _dangles(joined[-1]):
            previous = joined.pop()
            joined.append([(p, _HEADING.sub(r"\1", t.strip())) for p, t in previous + block])
            continue
        joined.append(block)
    return joined


def _dangles(block: list[tuple[int, str]]) -> bool:
    texts = [_HEADING.sub(r"\1", t.strip()) for t in _texts(block)]
    return len(texts) <= 3 and texts[0][:1].isupper() and bool(_DANGLING.search(texts[-1]))


def _stacked_headings(lines: list[str]) -> list[str]:
    """Bold lines stacked in one block: one heading per part, without a grade cell printed on
    its own line beneath ("Leadership, management and governance" over "Outstanding"). A line
    that ends on a grade or "?" ends its heading when the next starts a capital."""
    parts: list[list[str]] = []
    for line in lines:
        if parts and _ENDS_HEADING.search(parts[-1][-1]) and line[:1].isupper() and not _GRADE_CELL_LINE.match(line):
            parts.append([line])
        elif parts:
            parts[-1].append(line)
        else:
            parts.append([line])
    headings = []
    for part in parts:
        for cut in range(len(part) - 1, 0, -1):
            if _GRADE_CELL_LINE.match(" ".join(part[cut:])):
                part = part[:cut]
                break
        headings.append(" ".join(part))
    return headings


def _blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines, each line with its page (a run may cross a page break)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for i, (line_page, text) in enumerate(lines):
        if text.strip():
            following = lines[i + 1][1] if i + 1 < len(lines) else ""
            if current and _new_block(text, current[-1][1], following):
                blocks.append(current)
                current = []
            current.append((line_page, text))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _new_block(text: str, last: str, following: str) -> bool:
    """Does this line start a block though no blank line comes before it?"""
    line, last = text.strip(), last.strip()
    if bool(_HEADING.match(line)) != bool(_HEADING.match(last)):
        return True  # a heading line and a body line never share a block
    if not _TERMINAL.search(last):
        return False
    # Extractors indent a block that follows a page break; and a short unpunctuated line
    # between a finished sentence and a gap is a sub-heading ("Quality of practice").
    return text[:1].isspace() or (not following.strip() and _short_title(line))


def _short_title(line: str) -> bool:
    """A line that could be a sub-heading: short, capitalised, no closing punctuation."""
    return (
        len(line) <= 70
        and len(line.split()) <= 10
        and line[:1].isupper()
        and not _TERMINAL.search(line)
        and not line.endswith(",")
    )


def _texts(block: list[tuple[int, str]]) -> list[str]:
    return [text for _, text in block]


def _clean_heading(text: str) -> str:
    """A heading without front matter glued on, a "Grade 4 (Inadequate)" cell or a footnote mark."""
    text = _GRADE_SUFFIX.sub("", _GLUED_FRONT_MATTER.sub("", text))
    return _FOOTNOTE_MARK.sub("", text).rstrip()


def _printed_heading(text: str) -> str:
    """The heading as a reader sees it printed, or "" for a bold line that is no heading: a
    grade, a table header, front matter, or the wrapped end of a table cell ("permanence")."""
    text = _GRADE_CELL_END.sub("", _clean_heading(text))
    first = text[:1]
    if not (first.isupper() or first.isdigit()) or _PAGE_NUMBER.match(text):
        return ""
    if _GRADE_CELL.match(text) or _TABLE_HEADER.match(text) or _FRONT_MATTER.match(text):
        return ""
    if _GRADE_DESCRIPTION.match(text):
        return ""
    return text


def _section_name(text: str) -> str:
    """The section a heading names: the heading without its grade, its judgement verb, a
    footnote mark or closing punctuation ("The experiences and progress of care leavers are
    good." -> "The experiences and progress of care leavers")."""
    text = _clean_heading(text)
    graded = _GRADED_JUDGEMENT.match(text)
    if graded:
        name = graded.group(1)
    else:
        name = _SECTION_VERB.sub("", _SECTION_GRADE.sub("", text))
    name = name.strip().rstrip(".:").strip() or text
    return name[:1].upper() + name[1:]


def _looks_like_plain_heading(block: list[str], following: list[str]) -> bool:
    """Headings in plain text: short, capitalised, no closing punctuation, not a list item."""
    text = _FOOTNOTE_MARK.sub("", _norm(" ".join(block)))
    if len(block) > 3 or len(text) > 140 or not text or not text[0].isupper():
        return False
    if _NUMBERED.match(text) or _BULLET.match(text) or text.endswith((".", ",", ";", ":")):
        return False
    if following and following[0].strip()[:1].islower():
        return False  # the next block carries on this text
    return len(text.split()) <= 20


# --- numbering repair and final shape -------------------------------------------------------


def _infer_lost_numbers(drafts: list[_Draft]) -> None:
    """Between paragraphs n and n+2, a lone unnumbered paragraph is paragraph n+1."""
    numbered = [i for i, d in enumerate(drafts) if d.kind == "numbered"]
    for a, b in zip(numbered, numbered[1:], strict=False):
        if drafts[b].number != drafts[a].number + 2:
            continue
        between = [i for i in range(a + 1, b) if not drafts[i].boilerplate and drafts[i].footnote is None]
        if len(between) == 1 and drafts[between[0]].kind in ("item", "prose"):
            draft = drafts[between[0]]
            draft.kind, draft.number, draft.inferred = "numbered", drafts[a].number + 1, True


def _finish(drafts: list[_Draft], labels: dict[int, str | None]) -> list[Paragraph]:
    """Drafts -> Paragraphs: keys, boilerplate flags, printed page labels and ordinals."""
    paragraphs: list[Paragraph] = []
    counters: Counter[str] = Counter()
    seen_numbers: Counter[int] = Counter()
    ordinals: Counter[tuple[int, str, bool]] = Counter()
    for draft in drafts:
        # List lines stay on lines of their own ("...: \n- in primary schools ...").
        text = "\n- ".join(part for part in map(_norm, draft.text.split("\n- ")) if part)
        if not text:
            continue
        if draft.footnote is not None:
            counters[f"f{draft.footnote}"] += 1
            repeat = counters[f"f{draft.footnote}"]
            key = f"f{draft.footnote}" if repeat == 1 else f"f{draft.footnote}-{repeat}"
        elif draft.kind == "numbered":
            seen_numbers[draft.number] += 1
            repeat = seen_numbers[draft.number]
            key = f"p{draft.number}" if repeat == 1 else f"p{draft.number}-{repeat}"
        else:
            prefix = "i" if draft.kind == "item" else "s"
            counters[prefix] += 1
            key = f"{prefix}{counters[prefix]}"
        boilerplate = _is_boilerplate(draft, text)
        # Counted apart from boilerplate, so that "3rd paragraph" counts what a reader reads; a
        # footnote is cited by its page and heading alone (ordinal 0), and counts for nothing.
        if draft.footnote is None:
            ordinals[draft.under, draft.kind, boilerplate] += 1
        ordinal = 0 if draft.footnote is not None else ordinals[draft.under, draft.kind, boilerplate]
        paragraphs.append(
            Paragraph(
                report_id="",
                key=key,
                number=draft.number,
                kind=draft.kind,
                section=draft.section,
                page=draft.page,
                position=len(paragraphs),
                text=text,
                boilerplate=boilerplate,
                number_inferred=draft.inferred,
                page_label=labels.get(draft.page),
                heading=draft.heading,
                ordinal=ordinal,
            )
        )
    return paragraphs


def _is_boilerplate(draft: _Draft, text: str) -> bool:
    """Front matter, licence text, grade tables and scraps: kept, but not findings."""
    return (
        draft.boilerplate
        or bool(_BOILERPLATE_SECTIONS.match(draft.section))
        or bool(_BOILERPLATE_TEXT.search(text))
        or (draft.kind == "prose" and len(text) < 25)
        or (len(text) < 120 and bool(_ENDS_WITH_GRADE.search(text)))
        or (len(_GRADE_ROW.findall(text)) >= 2 and not _SENTENCE_END.search(text))  # a grade table
        or (bool(_ROW_NUMBER.match(text)) and _table_row(_ROW_NUMBER.sub("", text), _TABLE_ROWS + _SUB_ROWS))
    )
