"""An audit by reading: paragraphs drawn at random from the corpus, printed for a person to judge.

Draws `--size` non-boilerplate paragraphs (default 300, seed 2026) from every corpus report that
ingest accepts, read with `findings.readers.read_pages` and split with `findings.split.split_pages`.
The draw is by report and position, so that it hardly moves when the splitter changes: each draw
picks a report with probability proportional to its PDF page count (which no splitter change
alters), and a fraction in [0, 1) that picks the paragraph at that place among the report's
non-boilerplate paragraphs.  A paragraph drawn twice is drawn once; draws go on until `--size`
distinct paragraphs are in hand.

For each paragraph it prints what a reader needs to judge it against the PDF:

  * its report, PDF page (and printed label), key, kind, `section` and `heading`;
  * the bold lines PyMuPDF finds printed above it in the original PDF (the headings to expect);
  * the end of the paragraph before it and the start of the one after (with their boilerplate
    flags), and its own text (long texts shortened in the middle);
  * where it runs over a page break, the words either side of the break; where blank space is
    printed between two of its lines on its page, the lines either side (two paragraphs joined,
    or a footnote);
  * hints: digits glued to a word ("schools3"), a footnote-like line, licence-like wording.

The four questions asked of each paragraph: is the heading right (the nearest heading printed
above it, whole: no sentence fragment, no grade word or list number glued on; and `section` the
same heading without its grade)?  Is it boilerplate leaking through (licence, contact,
publication, email-alert, staff-name or contents lines)?  Has a footnote merged into it?  Is it
cut wrongly (two paragraphs joined, or one paragraph split)?

    PYTHONPATH=src .venv/bin/python bench/audit_sample.py                  # print the sample
    PYTHONPATH=src .venv/bin/python bench/audit_sample.py --tally v.json   # figures from verdicts
    PYTHONPATH=src .venv/bin/python bench/audit_sample.py --fixture out.json --verdicts v.json

A verdicts file is a JSON object mapping a sampled paragraph's index (as printed, "17") to
{"heading": "<expected heading>", "faults": ["heading", "boilerplate", "footnote", "cut"]};
a paragraph it leaves out was judged right on all four.  `--fixture` writes the audited sample
(tests/fixtures/audit_sample.json): each paragraph's id (report file, key, opening words) with
the heading and section it should carry, which tests/test_audit.py checks against the corpus.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from findings.metadata import not_a_report
from findings.models import Paragraph
from findings.readers import read_pages
from findings.split import split_pages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from citation_check import corpus_files, key, opening  # noqa: E402 - one definition, beside this script

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus"
FIXTURE = PROJECT / "tests" / "fixtures" / "audit_sample.json"
SEED = 2026
SAMPLE_SIZE = 300
FAULTS = ("heading", "boilerplate", "footnote", "cut")
TARGETS = {"heading": 0.98, "boilerplate": 0.005, "footnote": 0.005, "cut": 0.01}

_GLUED_DIGIT = re.compile(r"[^\W\d_]{3,}[.,;:?)’”]?\d{1,2}\b")
_FOOTNOTE_LINE = re.compile(r"(?:^|\s)\d{1,2} (?:[A-Z][a-z]|https?:|www\.)")
_BOILERPLATE_HINT = re.compile(
    r"publication|licence|email alerts?|enquiries|analytical|© Crown|gov\.uk|"
    r"reference no|contents|inspection team|inspector\b",
    re.I,
)


@dataclass(frozen=True)
class Drawn:
    """One drawn paragraph with its neighbours in the report."""

    index: int
    path: Path
    paragraph: Paragraph
    before: Paragraph | None
    after: Paragraph | None

    @property
    def report(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"




def page_count(path: Path) -> int:
    import pymupdf

    with pymupdf.open(str(path)) as document:
        return document.page_count


def draw(corpus: Path = DEFAULT_CORPUS, size: int = SAMPLE_SIZE, seed: int = SEED) -> list[Drawn]:
    """`size` distinct non-boilerplate paragraphs, drawn by report (weighted by pages) and place."""
    files = corpus_files(corpus)
    cumulative: list[int] = []
    total = 0
    for path in files:
        total += page_count(path)
        cumulative.append(total)
    rng = random.Random(seed)
    split: dict[Path, list[Paragraph] | None] = {}
    drawn: list[Drawn] = []
    seen: set[tuple[Path, str]] = set()
    while len(drawn) < size:
        path = files[bisect.bisect_right(cumulative, rng.randrange(total))]
        fraction = rng.random()
        if path not in split:
            pages = read_pages(path)
            split[path] = None if not_a_report(pages) else split_pages(pages)
        paragraphs = split[path]
        if not paragraphs:
            continue  # refused by ingest: never reaches results
        kept = [p for p in paragraphs if not p.boilerplate]
        if not kept:
            continue
        paragraph = kept[int(fraction * len(kept))]
        if (path, paragraph.key) in seen:
            continue
        seen.add((path, paragraph.key))
        at = paragraph.position
        before = paragraphs[at - 1] if at > 0 else None
        after = paragraphs[at + 1] if at + 1 < len(paragraphs) else None
        drawn.append(Drawn(len(drawn) + 1, path, paragraph, before, after))
    return drawn


# --- what the original PDF prints above a paragraph -----------------------------------------------


@dataclass(frozen=True)
class PdfLine:
    page: int
    text: str
    bold: bool
    size: float
    y0: float = 0.0
    y1: float = 0.0


def pdf_lines(path: Path) -> list[PdfLine]:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    lines: list[PdfLine] = []
    with pymupdf.open(str(path)) as document:
        for number, page in enumerate(document, start=1):
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    spans = [s for s in line["spans"] if s["text"].strip()]
                    if not spans:
                        continue
                    text = " ".join("".join(s["text"] for s in line["spans"]).split())
                    bold = all(s["flags"] & 16 or "bold" in s["font"].lower() for s in spans)
                    _, y0, _, y1 = line["bbox"]
                    lines.append(PdfLine(number, text, bold, max(s["size"] for s in spans), y0, y1))
    return lines


def bold_above(paragraph: Paragraph, lines: list[PdfLine], count: int = 4) -> list[PdfLine]:
    """The last `count` bold lines printed before the paragraph's opening words."""
    want = key(opening(paragraph.text, 5))
    page = paragraph.page or 0
    start = len(lines)
    on_page = [i for i, line in enumerate(lines) if line.page == page]
    if on_page:
        text, offsets = "", []
        for i in on_page:
            offsets.append(len(text))
            text += key(lines[i].text)
        found = text.find(want) if want else -1
        if found >= 0:
            start = on_page[bisect.bisect_right(offsets, found) - 1]
        else:
            start = on_page[-1] + 1
    bold = [line for line in lines[:start] if line.bold and key(line.text)]
    return bold[-count:]


# --- printing ---------------------------------------------------------------------------------


def shorten(text: str, head: int = 420, tail: int = 220) -> str:
    return text if len(text) <= head + tail + 20 else f"{text[:head]} [...] {text[-tail:]}"


def hints(paragraph: Paragraph) -> list[str]:
    found = []
    glued = _GLUED_DIGIT.findall(paragraph.text)
    if glued:
        found.append(f"glued digits {glued[:4]}")
    if _FOOTNOTE_LINE.search(paragraph.text[20:]):
        found.append("footnote-like ' N Capital' inside")
    if _BOILERPLATE_HINT.search(paragraph.text) or _BOILERPLATE_HINT.search(paragraph.heading):
        found.append("boilerplate-like words")
    return found


def gaps_inside(paragraph: Paragraph, lines: list[PdfLine]) -> list[str]:
    """Blank space printed between two lines of the paragraph on its first page: where a
    paragraph printed as two reads as one (or a list sits under its lead-in)."""
    page = [line for line in lines if line.page == paragraph.page and key(line.text)]
    want, body = key(opening(paragraph.text, 5)), key(paragraph.text)
    text, offsets = "", []
    for line in page:
        offsets.append(len(text))
        text += key(line.text)
    start = text.find(want) if want else -1
    if start < 0:
        return []
    first = bisect.bisect_right(offsets, start) - 1
    end = start + len(body)
    found = []
    for i in range(first + 1, len(page)):
        if offsets[i] >= end:
            break
        above, line = page[i - 1], page[i]
        if line.y0 - above.y1 > 0.6 * max(line.size, 6.0):
            found.append(f"...{above.text[-40:]} |gap| {line.text[:50]}")
    return found


def page_join(paragraph: Paragraph, lines: list[PdfLine]) -> str:
    """Where a paragraph runs over a page break, the words either side of the break: a join
    that reads as two paragraphs is a paragraph cut wrongly."""
    page = paragraph.page or 0
    here = "".join(key(line.text) for line in lines if line.page == page)
    words = paragraph.text.split()
    if not here or key(paragraph.text) in here:
        return ""
    low, high = 0, len(words)  # the longest run of opening words printed on the first page
    while low < high:
        mid = (low + high + 1) // 2
        if key(" ".join(words[:mid])) in here:
            low = mid
        else:
            high = mid - 1
    if low == 0 or low >= len(words):
        return ""
    return f"{' '.join(words[max(0, low - 14):low])} ||p{page + 1}|| {' '.join(words[low:low + 14])}"


def describe(item: Drawn, lines: list[PdfLine]) -> str:
    p = item.paragraph
    label = f" (printed {p.page_label})" if p.page_label and p.page_label != str(p.page) else ""

    def neighbour(q: Paragraph | None, end: bool) -> str:
        if q is None:
            return "-"
        flag = " BP" if q.boilerplate else ""
        text = q.text[-110:] if end else q.text[:110]
        return f"[{q.key}{flag} | {q.heading[:50]}] {'...' if end else ''}{text}{'' if end else '...'}"

    out = [
        f"#{item.index} {item.report}  page {p.page}{label}  {p.key} {p.kind} ord {p.ordinal}",
        f"  section: {p.section!r}",
        f"  heading: {p.heading!r}",
        "  pdf bold above: "
        + " || ".join(f"p{line.page} {line.size:.0f}pt {line.text[:90]}" for line in bold_above(p, lines)),
        f"  before: {neighbour(item.before, end=True)}",
        f"  TEXT: {shorten(p.text)}",
        f"  after: {neighbour(item.after, end=False)}",
    ]
    if join := page_join(p, lines):
        out.append(f"  page break: {join}")
    for gap in gaps_inside(p, lines):
        out.append(f"  gap inside: {gap}")
    if notes := hints(p):
        out.append(f"  hints: {'; '.join(notes)}")
    return "\n".join(out)


# --- verdicts, figures and the fixture ------------------------------------------------------------


def tally(verdicts: dict[str, dict], size: int) -> str:
    """The four figures; a sampled paragraph missing from `verdicts` was judged right on all."""
    counts = {fault: sum(fault in v.get("faults", ()) for v in verdicts.values()) for fault in FAULTS}
    right = size - counts["heading"]
    rows = [f"paragraphs judged: {size}", f"heading right: {right}/{size} = {right / size:.1%} (target >= 98%)"]
    for fault, name in (("boilerplate", "boilerplate leaking"), ("footnote", "footnote merged"),
                        ("cut", "paragraph cut wrongly")):  # fmt: skip
        n = counts[fault]
        rows.append(f"{name}: {n}/{size} = {n / size:.1%} (target <= {TARGETS[fault]:.1%})")
    return "\n".join(rows)


def fixture(sample: list[Drawn], verdicts: dict[str, dict]) -> dict:
    """The audited sample as tests/test_audit.py reads it: each paragraph's id (report, key,
    opening words), the heading and section it should carry, and the faults found in it."""
    rows = []
    for item in sample:
        verdict = verdicts.get(str(item.index), {})
        rows.append({
            "index": item.index,
            "report": item.report,
            "key": item.paragraph.key,
            "opening": opening(item.paragraph.text),
            "page": item.paragraph.page,
            "heading": verdict.get("heading", item.paragraph.heading),
            "section": verdict.get("section", item.paragraph.section),
            "faults": verdict.get("faults", []),
        })  # fmt: skip
    return {"seed": SEED, "size": len(sample), "paragraphs": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--size", type=int, default=SAMPLE_SIZE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--tally", type=Path, help="print the figures from a verdicts file")
    parser.add_argument("--verdicts", type=Path, help="verdicts to store with --fixture")
    parser.add_argument("--fixture", type=Path, help="write the audited sample here")
    args = parser.parse_args(argv)
    if args.tally:
        print(tally(json.loads(args.tally.read_text()), args.size))
        return 0
    sample = draw(args.corpus, args.size, args.seed)
    if args.fixture:
        verdicts = json.loads(args.verdicts.read_text()) if args.verdicts else {}
        args.fixture.write_text(json.dumps(fixture(sample, verdicts), indent=1, ensure_ascii=False) + "\n")
        return 0
    cache: dict[Path, list[PdfLine]] = {}
    for item in sample:
        if item.path not in cache:
            cache[item.path] = pdf_lines(item.path)
        print(describe(item, cache[item.path]))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
