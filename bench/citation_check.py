"""Do paragraph citations point where a reader would look?  A check against the original PDFs.

Draws non-boilerplate paragraphs at random (fixed seed) from every corpus PDF, read with
`findings.readers.read_pages` and split with `findings.split.split_pages`, and checks each one
against PyMuPDF's own text of the original PDF:

  page     the PDF page `paragraph.page` holds the paragraph's opening words (footnote marks,
           superscript numbers, are no words);
  label    `paragraph.page_label`, when set, is printed alone near the top or bottom of that page;
  heading  `paragraph.heading`, when set, is printed above the paragraph (on an earlier page, or
           higher up the same page).

Text is compared NFKC-normalised, lower-cased, letters and digits only, so wrapping, line-break
hyphenation, quotes and bullets make no difference.  Prints the share passing each check and
every failure (file, page, first words, heading).

    PYTHONPATH=src .venv/bin/python bench/citation_check.py                 # 600, seed 2026
    PYTHONPATH=src .venv/bin/python bench/citation_check.py --size 0        # every paragraph
    PYTHONPATH=src .venv/bin/python bench/citation_check.py /path/to/corpus --seed 7

tests/test_citation_pages.py runs `run()` on the default sample and expects no failure.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from findings.models import Paragraph
from findings.readers import read_pages
from findings.split import split_pages

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus"
SEED = 2026
SAMPLE_SIZE = 600
OPENING_WORDS = 8
# Where a printed page number may sit: the top or bottom of the page, as a share of its height.
LABEL_TOP = 0.12
LABEL_BOTTOM = 0.85
_LABEL_LINE = re.compile(r"(?:page\s*)?(\d{1,4})(?:\s*of\s*\d{1,4})?", re.I)
_MARK = re.compile(r"^\d{1,2}(?:,\d{1,2})*$")


@dataclass(frozen=True)
class Sampled:
    """One drawn paragraph and the PDF it came from."""

    path: Path
    paragraph: Paragraph


@dataclass(frozen=True)
class Failure:
    """One paragraph failing one check, with what a person needs to look it up."""

    check: str
    path: Path
    page: int | None
    page_label: str | None
    first_words: str
    heading: str
    detail: str

    def describe(self) -> str:
        label = f" (printed {self.page_label})" if self.page_label else ""
        return (
            f"[{self.check}] {self.path.parent.name}/{self.path.name} page {self.page}{label}: "
            f"'{self.first_words}' heading '{self.heading}' - {self.detail}"
        )


@dataclass
class Outcome:
    """Counts per check and every failure."""

    sampled: int = 0
    page_ok: int = 0
    labelled: int = 0
    label_ok: int = 0
    offset_labels: int = 0
    headed: int = 0
    heading_ok: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def empty_headings(self) -> int:
        return self.sampled - self.headed

    def summary(self) -> str:
        def share(ok: int, of: int) -> str:
            return f"{ok}/{of} = {ok / of:.1%}" if of else "0/0"

        label_note = (
            f"({self.sampled - self.labelled} without a label, {self.offset_labels} whose label "
            "differs from the PDF page index)"
        )
        heading_note = f"({self.empty_headings} with an empty heading, not checked)"
        return "\n".join(
            (
                f"paragraphs checked: {self.sampled}",
                f"page holds opening words: {share(self.page_ok, self.sampled)}",
                f"printed label on that page: {share(self.label_ok, self.labelled)} {label_note}",
                f"heading printed above: {share(self.heading_ok, self.headed)} {heading_note}",
            )
        )


@dataclass(frozen=True)
class RawPage:
    """PyMuPDF's text of one page: a comparison key in reading order, and its edge lines."""

    key: str
    edge_lines: tuple[str, ...]


def key(text: str) -> str:
    """NFKC, lower case, letters and digits only: a comparison blind to layout and hyphens."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def opening(text: str, words: int = OPENING_WORDS) -> str:
    """The paragraph's first few words, as printed in a failure."""
    return " ".join(text.split()[:words])


# --- drawing the sample -----------------------------------------------------------------------


def corpus_files(corpus: Path) -> list[Path]:
    """Every report PDF in the corpus, in a stable order."""
    return sorted((corpus / "ilacs").glob("*/*.pdf"))


def paragraphs_of(path: Path) -> list[Paragraph]:
    """The paragraphs the project makes of one file."""
    return split_pages(read_pages(path))


def draw_sample(files: Iterable[Path], size: int = SAMPLE_SIZE, seed: int = SEED) -> list[Sampled]:
    """`size` non-boilerplate paragraphs drawn at random from all files (0: all of them)."""
    pool = [
        Sampled(path, paragraph)
        for path in files
        for paragraph in paragraphs_of(path)
        if not paragraph.boilerplate
    ]
    if size <= 0 or size >= len(pool):
        return pool
    return random.Random(seed).sample(pool, size)


# --- the original PDF -------------------------------------------------------------------------


def raw_pages(path: Path) -> list[RawPage]:
    """PyMuPDF's plain text of every page of the original file, less footnote marks."""
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    with pymupdf.open(str(path)) as document:
        return [RawPage(key(_words(page)), tuple(_edge_lines(page))) for page in document]


def _words(page) -> str:
    """The page's text in PyMuPDF's order, without footnote marks (superscript numbers after a
    word, "schools³"): a mark is not one of the words a reader looks for."""
    spans = (
        span["text"]
        for block in page.get_text("dict")["blocks"]
        for line in block.get("lines", [])
        for i, span in enumerate(line["spans"])
        if not (i and span["flags"] & 1 and _MARK.match(span["text"].strip()))
    )
    return " ".join(spans)


def _edge_lines(page) -> list[str]:
    """Lines in the top or bottom strip of the page, where page numbers are printed."""
    height = page.rect.height or 842.0
    lines = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            text = " ".join("".join(s["text"] for s in line["spans"]).split())
            _, y0, _, y1 = line["bbox"]
            if text and (y1 <= height * LABEL_TOP or y0 >= height * LABEL_BOTTOM):
                lines.append(text)
    return lines


# --- the checks -------------------------------------------------------------------------------


def page_failure(paragraph: Paragraph, pages: list[RawPage]) -> str | None:
    """None when the paragraph's page holds its opening words, else what went wrong."""
    want = key(opening(paragraph.text))
    if not want:
        return None
    index = (paragraph.page or 0) - 1
    if not 0 <= index < len(pages):
        return f"page {paragraph.page} is not in the file ({len(pages)} pages)"
    if want in pages[index].key or _runs_over_break(paragraph.text, pages, index):
        return None
    elsewhere = [i + 1 for i, page in enumerate(pages) if want in page.key]
    return f"opening words found on PDF page(s) {elsewhere or 'none'}"


def _runs_over_break(text: str, pages: list[RawPage], index: int) -> bool:
    """The opening words start at the foot of this page and end at the top of the next."""
    words = text.split()[:OPENING_WORDS]
    if index + 1 >= len(pages):
        return False
    for cut in range(len(words) - 1, 1, -1):
        head, tail = key(" ".join(words[:cut])), key(" ".join(words[cut:]))
        if head in pages[index].key and tail in pages[index + 1].key[:600]:
            return True
    return False


def label_failure(paragraph: Paragraph, pages: list[RawPage]) -> str | None:
    """None when the paragraph's printed page label is printed at the edge of its page."""
    label = paragraph.page_label
    index = (paragraph.page or 0) - 1
    if label is None or not 0 <= index < len(pages):
        return None
    printed = [m.group(1) for m in map(_LABEL_LINE.fullmatch, pages[index].edge_lines) if m]
    if label in printed:
        return None
    return f"label '{label}' not printed alone at the top or bottom (found {printed or 'none'})"


def heading_failure(paragraph: Paragraph, pages: list[RawPage]) -> str | None:
    """None when the heading is printed above the paragraph (same page higher up, or before)."""
    heading = key(paragraph.heading)
    index = (paragraph.page or 0) - 1
    if not heading or not 0 <= index < len(pages):
        return None
    if any(heading in page.key for page in pages[:index]):
        return None
    here = pages[index].key
    start = here.rfind(key(opening(paragraph.text)))  # opening words may recur higher up
    found = here.find(heading)
    if found >= 0 and (start < 0 or found < start):
        return None
    if found >= 0:
        return "heading printed on the page, but below the paragraph's opening words"
    return "heading not printed on this or an earlier page"


def check(sample: list[Sampled]) -> Outcome:
    """Run every check on every sampled paragraph."""
    outcome = Outcome()
    cache: dict[Path, list[RawPage]] = {}
    for item in sample:
        pages = cache.get(item.path)
        if pages is None:
            pages = cache[item.path] = raw_pages(item.path)
        _check_one(item, pages, outcome)
    return outcome


def _check_one(item: Sampled, pages: list[RawPage], outcome: Outcome) -> None:
    paragraph = item.paragraph
    label, heading = paragraph.page_label, paragraph.heading
    details = {
        "page": page_failure(paragraph, pages),
        "label": label_failure(paragraph, pages),
        "heading": heading_failure(paragraph, pages),
    }
    outcome.sampled += 1
    outcome.page_ok += details["page"] is None
    outcome.labelled += label is not None
    outcome.label_ok += label is not None and details["label"] is None
    outcome.offset_labels += label is not None and label != str(paragraph.page)
    outcome.headed += bool(heading)
    outcome.heading_ok += bool(heading) and details["heading"] is None
    for name, detail in details.items():
        if detail is not None:
            first = opening(paragraph.text)
            failure = Failure(name, item.path, paragraph.page, label, first, heading, detail)
            outcome.failures.append(failure)


def run(corpus: Path = DEFAULT_CORPUS, size: int = SAMPLE_SIZE, seed: int = SEED) -> Outcome:
    """Draw the sample from the whole corpus and check it."""
    return check(draw_sample(corpus_files(corpus), size, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--size", type=int, default=SAMPLE_SIZE, help="paragraphs to draw (0: all)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    outcome = run(args.corpus, args.size, args.seed)
    print(outcome.summary())
    for failure in outcome.failures:
        print(failure.describe())
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
