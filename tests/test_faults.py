"""Hostile and odd inputs, injection, upload names and limits.

Mutated PDFs (truncated, bytes flipped, junk appended; seeded) go through the real ingest, whose
PDF reader runs in a child under a time and memory limit (`findings.sandbox`): every one ends in
a stored report or a named failure, and the good files in the same batch are stored.
"""

from __future__ import annotations

import csv
import io
import logging
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pymupdf
import pytest
from fakes import FakeEmbedder

from findings import sandbox
from findings.budget import FileLimits
from findings.config import Settings
from findings.errors import QueryError
from findings.library import Library
from findings.models import Paragraph
from findings.readers import MAX_FILE_BYTES, ReadError
from findings.sandbox import read_pages_limited, safe_upload_path, write_upload
from findings.search import MAX_FILTER_VALUES, MAX_K, MAX_QUERY_CHARS, Filters
from findings.store import Store

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
ILACS_2022 = SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"
SHORT_LIMIT_S = 20.0  # per file in the mutation batches: generous, yet no file may hang a batch


def make_report_pdf(path: Path, pages: int = 3, paragraphs_per_page: int = 4) -> Path:
    """A small inspection-like PDF: a heading and numbered paragraphs on each page."""
    document = pymupdf.open()
    number = 1
    for page_number in range(pages):
        page = document.new_page()
        page.insert_text((72, 90), f"Section {page_number + 1}: help and protection", fontsize=13)
        y = 130
        for _ in range(paragraphs_per_page):
            text = (f"{number}. Social workers visit children regularly and know them well; "
                    f"managers oversee plans for child {number} and review them.")
            page.insert_textbox(pymupdf.Rect(72, y, 523, y + 80), text, fontsize=11)
            y += 100
            number += 1
    document.save(str(path))
    return path


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["truncated", "flipped", "junk appended", "truncated and flipped", "flipped many"])
    out = bytearray(data)
    if kind.startswith("truncated"):
        out = out[: rng.randrange(1, len(out))]
    if "flipped" in kind:
        for _ in range(rng.randint(1, 4) if kind != "flipped many" else rng.randint(20, 200)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    if kind == "junk appended":
        out += rng.randbytes(rng.randint(1, 50_000))
    return kind, bytes(out)


def ingest_batch(folder: Path, index: Path, limits: FileLimits | None = None):
    library = Library(Settings.load(index, limits=limits), embed=False)
    summary = library.ingest([folder])
    return library, summary


def reason_name(reason: str) -> str:
    return re.sub(r"\s*\(.*|\d+", "", reason).strip()


@pytest.fixture
def short_limits() -> FileLimits:
    return FileLimits(base_seconds=SHORT_LIMIT_S, seconds_per_mb=0, base_mb=1024, mb_per_mb=0)


def run_mutations(sources: list[Path], copies: int, tmp_path: Path, seed: int, limits: FileLimits) -> dict:
    rng = random.Random(seed)
    batch = tmp_path / "batch"
    batch.mkdir()
    kinds = Counter()
    for source in sources:
        data = source.read_bytes()
        shutil.copy(source, batch / f"good-{source.stem[:40]}.pdf")
        for n in range(copies):
            kind, mutated = mutate(data, rng)
            kinds[kind] += 1
            (batch / f"m{n:03d}-{source.stem[:30]}.pdf").write_bytes(mutated)
    library, summary = ingest_batch(batch, tmp_path / "index", limits)
    tried = len(sources) * (copies + 1)
    assert len(summary.added) + len(summary.failed) == tried, "a file neither stored nor failed"
    stored = {Path(r.source).name for r in library.store.reports()}
    for source in sources:
        assert f"good-{source.stem[:40]}.pdf" in stored
    for path, reason in summary.failed:
        assert reason and "\n" not in reason and "Traceback" not in reason, (path, reason)
    for report in library.store.reports():  # what was stored is whole and clean
        paragraphs = library.store.paragraphs(report.id)
        assert len(paragraphs) == report.paragraph_count > 0
        assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]", p.text) for p in paragraphs)
    return {
        "inputs tried": tried,
        "stored": len(summary.added),
        "failed": dict(Counter(reason_name(r) for _, r in summary.failed)),
        "mutations": dict(kinds),
    }


def test_200_mutated_pdfs_each_end_stored_or_with_a_named_reason(tmp_path, short_limits, capsys):
    source = make_report_pdf(tmp_path / "generated-report.pdf")
    figures = run_mutations([source], 200, tmp_path, seed=11, limits=short_limits)
    with capsys.disabled():
        print(f"\nmutated generated PDF: {figures}")
    assert figures["inputs tried"] == 201
    assert figures["stored"] >= 1 and sum(figures["failed"].values()) >= 1


@pytest.mark.slow
def test_mutated_corpus_pdfs_each_end_stored_or_with_a_named_reason(corpus, tmp_path, short_limits, capsys):
    pdfs = sorted(
        (p for p in (corpus / "ilacs").rglob("*.pdf") if 100_000 < p.stat().st_size < 400_000),
        key=lambda p: (p.stat().st_size, str(p)),
    )[:3]
    assert len(pdfs) == 3
    local = []
    for i, pdf in enumerate(pdfs):  # corpus names have spaces and apostrophes; keep them simple
        local.append(tmp_path / f"corpus-{i}.pdf")
        shutil.copy(pdf, local[-1])
    figures = run_mutations(local, 70, tmp_path, seed=12, limits=short_limits)
    with capsys.disabled():
        print(f"\nmutated corpus PDFs: {figures}")
    assert figures["inputs tried"] == 213


# --- the sandbox's own limits ------------------------------------------------------------------


def test_a_reader_that_eats_memory_is_stopped_at_the_limit(tmp_path, test_readers):
    path = make_report_pdf(tmp_path / "bomb.pdf", pages=1)
    with pytest.raises(ReadError, match=r"^parsing needed more than 256 MB, the memory limit for one file$"):
        sandbox._read_in_child(path, 30, 256, "fault_readers:hog_memory")
    assert len(read_pages_limited(path)) == 1  # the worker is still there for the next file


def test_a_reader_that_never_returns_is_stopped_at_the_time_limit(tmp_path, test_readers):
    path = make_report_pdf(tmp_path / "loop.pdf", pages=1)
    with pytest.raises(ReadError, match=r"^parsing took longer than 1.5 s, the time limit for one file$"):
        sandbox._read_in_child(path, 1.5, 256, "fault_readers:sleep_forever")
    assert len(read_pages_limited(path)) == 1


def test_a_reader_that_crashes_is_a_named_failure(tmp_path, test_readers):
    path = make_report_pdf(tmp_path / "crash.pdf", pages=1)
    with pytest.raises(ReadError, match=r"^the reader crashed on this file \(SIGSEGV\)"):
        sandbox._read_in_child(path, 30, 256, "fault_readers:segfault")
    assert len(read_pages_limited(path)) == 1


def test_each_child_starts_with_the_splitter_and_tagger_loaded(tmp_path, test_readers):
    path = tmp_path / "report.txt"
    path.write_text("1. Leaders know their services well. They act on it.\n")
    kind, loaded, _ = sandbox._run_in_child(path, 60, 512, "fault_readers:what_is_warm")
    assert (kind, loaded) == ("data", {"sentence splitter": 1, "tagging model": 1})


def test_a_killed_worker_is_replaced(tmp_path):
    path = make_report_pdf(tmp_path / "a.pdf", pages=1)
    assert len(read_pages_limited(path)) == 1
    sandbox._the_worker.process.kill()
    sandbox._the_worker.process.wait()
    assert len(read_pages_limited(path)) == 1


# --- odd but legitimate, and plainly bad, inputs ---------------------------------------------------


def test_a_2000_page_pdf_is_stored_within_the_limits(tmp_path):
    document = pymupdf.open()
    for i in range(2000):
        page = document.new_page()
        page.insert_text((72, 120), f"{i + 1}. Paragraph {i + 1}: managers review plans for children.")
    path = tmp_path / "long.pdf"
    document.save(str(path))
    library, summary = ingest_batch(path, tmp_path / "index")
    assert summary.added == [str(path)], summary.failed
    (report,) = library.store.reports()
    assert report.pages == 2000
    text = "\n".join(p.text for p in library.store.paragraphs(report.id))
    assert all(f"Paragraph {n}: managers" in text for n in range(1, 2001))
    # The time limit itself is tested with a reader slow by construction (sleep_forever above).


def test_odd_text_is_stored_clean_and_searchable(tmp_path):
    text = (
        "1. The plan\x00 was reviewed\x07 late\x1b[31m by the team.\n\n"
        "2. Parents wrote: \u0627\u0644\u0623\u0637\u0641\u0627\u0644 \u0622\u0645\u0646\u0648\u0646 "
        "(the children are safe) and \u05d4\u05d9\u05dc\u05d3\u05d9\u05dd.\n\n"
        "3. Young people rated the service \U0001F44D\U0001F3FD and \u2764\ufe0f, with a\u202e reversed mark.\n"
    )
    path = tmp_path / "odd.txt"
    path.write_text(text, encoding="utf-8")
    library = Library(Settings.load(tmp_path / "index"), embedder=FakeEmbedder())
    assert library.ingest([path]).added == [str(path)]
    (report,) = library.store.reports()
    paragraphs = library.store.paragraphs(report.id)
    joined = "\n".join(p.text for p in paragraphs)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", joined)
    assert "\u0627\u0644\u0623\u0637\u0641\u0627\u0644" in joined and "\U0001F44D" in joined
    (hit,) = library.search("\u0627\u0644\u0623\u0637\u0641\u0627\u0644", k=1, mode="keyword")
    assert hit.paragraph.number == 2
    assert library.search("reviewed late", k=1)[0].paragraph.number == 1


def test_encrypted_scanned_empty_and_wrong_files_fail_by_name_beside_good_ones(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    good = make_report_pdf(batch / "good.pdf")
    locked = pymupdf.open(str(good))
    locked.save(str(batch / "locked.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    scanned = pymupdf.open()
    scanned.new_page().draw_rect(pymupdf.Rect(50, 50, 300, 300), fill=(0.4, 0.4, 0.4))
    scanned.save(str(batch / "scanned.pdf"))
    (batch / "empty.pdf").write_bytes(b"")
    (batch / "blank.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (batch / "image.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (batch / "header-only.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    shutil.copy(ILACS_2022, batch / "good.txt")
    _, summary = ingest_batch(batch, tmp_path / "index")
    reasons = {Path(p).name: r for p, r in summary.failed}
    assert sorted(Path(p).name for p in summary.added) == ["good.pdf", "good.txt"]
    assert reasons["locked.pdf"] == "the PDF is password-protected"
    assert reasons["scanned.pdf"].startswith("no text found")
    assert reasons["empty.pdf"] == "the file is empty (0 bytes)"
    assert reasons["blank.docx"].startswith("not a valid Word .docx file")
    assert reasons["image.pdf"].startswith(("not a readable PDF", "the PDF is damaged"))
    assert reasons["header-only.pdf"]


# --- injection ------------------------------------------------------------------------------------


HOSTILE = (
    "1. Leaders said <script>alert('x')</script> was fine.\n\n"
    "2. See <img src=x onerror=\"alert(document.cookie)\"> for the chart.\n\n"
    "3. Read [the plan](javascript:alert(1)) or <a href=\"javascript:alert(2)\">this link</a>.\n\n"
    "4. =HYPERLINK(\"http://evil.example\",\"click\") is what a spreadsheet would run.\n"
)


@pytest.fixture
def hostile_library(tmp_path) -> Library:
    path = tmp_path / "hostile.txt"
    path.write_text(HOSTILE, encoding="utf-8")
    library = Library(Settings.load(tmp_path / "index"), embedder=FakeEmbedder())
    assert library.ingest([path]).added
    return library


def test_report_text_with_markup_is_escaped_in_the_web_page(hostile_library):
    from findings.webapp import views as webapp
    hits = hostile_library.search("script img onerror javascript plan chart", k=10, mode="keyword")
    assert len(hits) >= 3
    for hit in hits:
        page = webapp.card_html(webapp.card_from_hit(hit, "script onerror javascript"))
        assert "<script" not in page.lower() and "<img" not in page.lower()
        assert not re.search(r"<a\b[^>]*href=[\"']?javascript:", page, re.IGNORECASE)
    texts = " ".join(webapp.card_html(webapp.card_from_hit(h, "x")) for h in hits)
    assert "&lt;script&gt;" in texts and "&lt;img" in texts


def test_exports_neutralise_formulas_and_drop_xml_illegal_characters(hostile_library):
    export = pytest.importorskip("findings.export")
    hits = hostile_library.search("HYPERLINK spreadsheet", k=1, mode="keyword")
    report = hits[0].report
    cells = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", "=HYPERLINK(\"http://evil\")"]
    items = [
        export.ExportItem.of(
            Paragraph(report.id, f"s{i}", None, "prose", "Section", 1, i, cell + " \x01\x0b bad\ufffe chars"),
            report,
            query="=cmd|' /C calc'!A0",
            note="=HYPERLINK(\"http://evil\")",
        )
        for i, cell in enumerate(cells)
    ]
    rows = list(csv.reader(io.StringIO(export.render(items, "csv").decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        assert row[header.index("text")].startswith("'")
        assert row[header.index("query")] == "'=cmd|' /C calc'!A0"
        assert row[header.index("note")].startswith("'=HYPERLINK")
    import docx

    document = docx.Document(io.BytesIO(export.render(items, "docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "=HYPERLINK" in text and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)
    markdown = export.render(items, "md").decode("utf-8")
    assert not re.search(r"(?<!\\)\]\(javascript:", markdown)


def test_markdown_export_does_not_turn_report_text_into_links_or_html(hostile_library):
    export = pytest.importorskip("findings.export")
    hits = hostile_library.search("plan link script onerror", k=10, mode="keyword")
    markdown = export.render(export.items_from_hits(hits, "plan"), "md").decode("utf-8")
    assert "\\<script\\>" in markdown and "\\<img" in markdown
    assert not re.search(r"(?<!\\)<", markdown), "an unescaped < would open HTML"
    assert not re.search(r"(?<!\\)\]\(javascript:", markdown)


# --- upload names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\Ofsted report.PDF", "Ofsted report.pdf"),
        ("..", "upload"),
        ("", "upload"),
        (".bashrc", "upload.bashrc"),
        ("a\x00b.pdf", "ab.pdf"),
        ("rapport\u202e fdp.exe", "rapport- fdp.exe"),
        ("x" * 500 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_safe_upload_path_stays_inside_the_store(tmp_path, name, expected):
    store = tmp_path / "uploads"
    path = safe_upload_path(store, name)
    assert path.parent == store.resolve() and path.name == expected
    assert path.is_file() and not path.is_symlink() and path.stat().st_size == 0


def test_safe_upload_path_never_follows_or_replaces(tmp_path):
    store = tmp_path / "uploads"
    store.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("keep me")
    (store / "report.pdf").symlink_to(outside)
    (store / "report-2.pdf").symlink_to(tmp_path / "would-be-created.pdf")  # dangling
    (store / "report-3.pdf").write_bytes(b"an earlier upload")
    path = write_upload(store, "report.pdf", b"%PDF new")
    assert path == store.resolve() / "report-4.pdf" and path.read_bytes() == b"%PDF new"
    assert outside.read_text() == "keep me" and not (tmp_path / "would-be-created.pdf").exists()
    assert (store / "report-3.pdf").read_bytes() == b"an earlier upload"
    assert write_upload(store, "report.pdf", b"again") == store.resolve() / "report-5.pdf"


# --- limits ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_library(tmp_path_factory) -> Library:
    library = Library(Settings.load(tmp_path_factory.mktemp("limits") / "index"), embedder=FakeEmbedder())
    library.ingest([SEEDS])
    return library


def test_a_long_query_is_cut_with_a_message(small_library, caplog):
    query = "care leavers personal adviser " * 200
    with caplog.at_level(logging.WARNING, logger="findings.search"):
        hits = small_library.search(query, k=5)
    assert len(hits) == 5
    assert f"The query was cut to its first {MAX_QUERY_CHARS} characters." in caplog.text
    assert [h.paragraph.id for h in hits] == [
        h.paragraph.id for h in small_library.search(" ".join(query.split())[:MAX_QUERY_CHARS], k=5)
    ]


def test_k_is_capped_with_a_message_and_nonsense_is_refused(small_library, caplog):
    with caplog.at_level(logging.WARNING, logger="findings.search"):
        hits = small_library.search("children", k=10_000, mode="keyword")
    assert len(hits) == MAX_K
    assert f"At most {MAX_K} results are returned; asked for 10000." in caplog.text
    for bad in (0, -3, "ten", None):
        with pytest.raises(QueryError):
            small_library.search("children", k=bad)


def test_too_many_filter_values_are_refused(small_library):
    many = Filters(sections=tuple(f"section {i}" for i in range(MAX_FILTER_VALUES + 1)))
    with pytest.raises(QueryError, match=f"too many filter values .*the limit is {MAX_FILTER_VALUES}"):
        small_library.search("children", filters=many)
    store = small_library.store
    target = next(p for r in store.reports() for p in store.paragraphs(r.id) if p.section and not p.boilerplate)
    enough = Filters(sections=(*(f"section {i}" for i in range(MAX_FILTER_VALUES - 1)), target.section))
    hits = small_library.search(" ".join(target.text.split()[:6]), filters=enough, mode="keyword")
    assert target.id in [h.paragraph.id for h in hits]
    assert all(target.section in h.paragraph.section for h in hits)


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".txt"])
def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path, suffix):
    path = tmp_path / f"huge{suffix}"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ReadError, match=r"over the 104 MB limit|over the 100 MB limit"):
        read_pages_limited(path)
    store = Store(tmp_path / "index")
    assert store.reports() == []


def test_uploads_over_the_size_limit_are_refused_by_the_web_app(tmp_path, monkeypatch):
    from findings.webapp import reports as collection

    monkeypatch.setattr(collection, "MAX_FILE_BYTES", 1000)
    outcome = collection.ingest_uploads(None, [("big.pdf", b"%PDF" + bytes(2000))], tmp_path)
    assert outcome.failed and "limit" in outcome.failed[0][1]
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
