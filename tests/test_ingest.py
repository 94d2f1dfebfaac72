"""Ingest through the CLI on a temporary index: reports, paragraphs, bad input, re-ingest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from findings.cli import main
from findings.store import Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ILACS_2022 = SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"
NOT_REPORTS = Path(__file__).resolve().parent / "fixtures" / "not-reports"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def index(tmp_path, monkeypatch):
    folder = tmp_path / "index"
    monkeypatch.setenv("FINDINGS_INDEX", str(folder))
    return folder


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_pdf(path: Path, text: str, fontsize: float = 11, **save_options) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    assert page.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=fontsize) >= 0
    doc.save(str(path), **save_options)
    return path


def test_ingest_seeds_lists_five_reports_with_metadata(index):
    result = run("ingest", "--no-embed", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert "5 added, 0 replaced, 0 unchanged, 0 failed" in result.output
    reports = [json.loads(line) for line in run("reports", "--json").output.splitlines()]
    by_id = {r["id"]: r for r in reports}
    ilacs = by_id["blackburn-with-darwen-2022-ilacs"]
    assert ilacs["authority"] == "Blackburn with Darwen"
    assert ilacs["type"] == "ilacs_standard"
    assert (ilacs["inspection_start"], ilacs["inspection_end"]) == ("2022-01-24", "2022-02-04")
    # Until 2023 ILACS judged children in care and care leavers together (`in_care`).
    assert ilacs["judgements"]["in_care"] == "requires improvement"
    assert "care_leavers" not in ilacs["judgements"]
    assert ilacs["lead_inspector"] == "Kathryn Grindrod"
    assert set(ilacs) >= {"id", "authority", "type", "title", "inspection_start", "inspection_end",
                          "published", "lead_inspector", "judgements", "source", "paragraphs"}
    blackpool = by_id["blackpool-2012-child-protection"]
    assert blackpool["judgements"]["overall_effectiveness"] == "inadequate"


def test_paragraphs_json_has_the_report_numbers(index):
    run("ingest", "--no-embed", str(ILACS_2022))
    lines = run("paragraphs", "blackburn-with-darwen-2022-ilacs", "--json").output.splitlines()
    paragraphs = [json.loads(line) for line in lines]
    para9 = next(p for p in paragraphs if p["number"] == 9)
    assert para9["id"] == "blackburn-with-darwen-2022-ilacs:p9"
    assert set(para9) == {"id", "report_id", "number", "kind", "section", "heading", "page", "page_label", "text",
                          "boilerplate"}
    assert "Over-optimism about parental capacity to change" in para9["text"]


def test_reingest_unchanged_changes_nothing_and_changed_file_replaces(index, tmp_path):
    copy = tmp_path / "report.txt"
    shutil.copy(ILACS_2022, copy)
    assert "1 added" in run("ingest", "--no-embed", str(copy)).output
    store = Store(index)
    generation = store.generation
    assert "1 unchanged" in run("ingest", "--no-embed", str(copy)).output
    assert store.generation == generation
    copy.write_text(copy.read_text().replace("Over-\noptimism", "Undue optimism"))
    assert "1 replaced" in run("ingest", "--no-embed", str(copy)).output
    texts = [p.text for p in store.paragraphs("blackburn-with-darwen-2022-ilacs")]
    assert any("Undue optimism about parental capacity" in t for t in texts)
    assert len([t for t in texts if "parental capacity to change" in t]) == 1


def test_correction_survives_reingest_of_a_changed_file(index, tmp_path):
    copy = tmp_path / "report.txt"
    shutil.copy(ILACS_2022, copy)
    run("ingest", "--no-embed", str(copy))
    result = run("correct", "blackburn-with-darwen-2022-ilacs", "published", "2022-03-18")
    assert result.exit_code == 0
    copy.write_text(copy.read_text() + "\n\nA closing line.\n")
    run("ingest", "--no-embed", str(copy))
    report = json.loads(run("reports", "--json").output.splitlines()[0])
    assert report["published"] == "2022-03-18"


def test_remove_report(index):
    run("ingest", "--no-embed", str(SEEDS))
    assert run("remove", "blackburn-with-darwen-2022-press-release").exit_code == 0
    ids = [json.loads(line)["id"] for line in run("reports", "--json").output.splitlines()]
    assert "blackburn-with-darwen-2022-press-release" not in ids and len(ids) == 4
    result = run("remove", "no-such-report")
    assert result.exit_code == 1
    assert "no report with id 'no-such-report'" in result.output


def test_bad_inputs_each_fail_with_a_reason_and_the_rest_is_stored(index, tmp_path):
    bad = tmp_path / "batch"
    bad.mkdir()
    (bad / "empty.txt").write_text("   \n\n")
    (bad / "zero.pdf").write_bytes(b"")
    (bad / "junk.pdf").write_bytes(b"\x00\x01not a pdf at all" * 100)
    make_pdf(bad / "locked.pdf", "1. A secret paragraph.", encryption=pymupdf.PDF_ENCRYPT_AES_256,
             user_pw="user", owner_pw="owner")
    scanned = pymupdf.open()
    page = scanned.new_page()
    page.draw_rect(pymupdf.Rect(100, 100, 300, 300), fill=(0.5, 0.5, 0.5))
    scanned.save(str(bad / "scanned.pdf"))
    good = make_pdf(tmp_path / "good.pdf", "1. Care leavers are well supported by personal advisers.")
    data = good.read_bytes()
    (bad / "truncated.pdf").write_bytes(data[: len(data) // 3])
    with open(bad / "huge.txt", "wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    shutil.copy(ILACS_2022, bad / "good.txt")
    result = run("ingest", "--no-embed", str(bad))
    assert result.exit_code == 1
    reasons = {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line.split(": ", 2)[2]
               for line in result.output.splitlines() if line.startswith("Failed: ")}
    assert reasons["empty.txt"].startswith("no text found")
    assert reasons["zero.pdf"] == "the file is empty (0 bytes)"
    assert reasons["junk.pdf"].startswith("not a readable PDF")
    assert reasons["locked.pdf"] == "the PDF is password-protected"
    assert reasons["scanned.pdf"].startswith("no text found")
    assert reasons["huge.txt"].startswith("the file is 210 MB, over the")
    assert "truncated.pdf" in reasons
    assert "1 added" in result.output and "7 failed" in result.output
    assert [r.id for r in Store(index).reports()] == ["blackburn-with-darwen-2022-ilacs"]


def test_a_failing_file_does_not_lose_what_is_stored(index, tmp_path):
    run("ingest", "--no-embed", str(SEEDS))
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 broken")
    assert run("ingest", "--no-embed", str(junk)).exit_code == 1
    assert len(Store(index).reports()) == 5


def test_word_and_markdown_readers(index, tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("The experiences and progress of care leavers", level=2)
    document.add_paragraph("1. Care leavers value their personal advisers, who know them well.")
    document.add_paragraph("2. Pathway plans are up to date and written with young people.")
    document.save(tmp_path / "report.docx")
    run("ingest", "--no-embed", str(tmp_path / "report.docx"))
    (report,) = Store(index).reports()
    paragraphs = Store(index).paragraphs(report.id)
    assert [p.number for p in paragraphs] == [1, 2]
    assert paragraphs[0].section == "The experiences and progress of care leavers"


def test_text_is_nfkc_normalised_without_nul_or_replacement_characters(index, tmp_path):
    path = tmp_path / "odd.txt"
    path.write_text("1. The ﬁnal plan was ﬂawed\x00 and \ufffdunclear.\n", encoding="utf-8")
    run("ingest", "--no-embed", str(path))
    (report,) = Store(index).reports()
    (paragraph,) = Store(index).paragraphs(report.id)
    assert paragraph.text == "The final plan was flawed and unclear."


def test_missing_index_gives_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("FINDINGS_INDEX", str(tmp_path / "nowhere"))
    result = run("reports")
    assert result.exit_code == 1
    assert result.output.startswith("Error: no index at")


def failures(output: str) -> dict[str, str]:
    """File name -> reason, from the `Failed: PATH: REASON` lines of `findings ingest`."""
    return {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line.split(": ", 2)[2]
            for line in output.splitlines() if line.startswith("Failed: ")}  # fmt: skip


def test_files_that_are_not_reports_are_refused_and_the_batch_goes_on(index, tmp_path):
    import docx

    batch = tmp_path / "batch"
    batch.mkdir()
    banner = (NOT_REPORTS / "cookie-banner-page.txt").read_text(encoding="utf-8")
    make_pdf(batch / "saved-web-page.pdf", banner, fontsize=7)
    shutil.copy(NOT_REPORTS / "search-results-page.txt", batch / "search.txt")
    template = docx.Document()
    for line in (NOT_REPORTS / "empty-template.txt").read_text(encoding="utf-8").splitlines():
        template.add_paragraph(line)
    template.save(batch / "template.docx")
    make_pdf(batch / "cover-only.pdf", "Inspection of Bury local authority\nchildren’s services\n\n"
             "Judgement\nGrade\n\nOverall effectiveness\nGood\n")  # fmt: skip
    shutil.copy(ILACS_2022, batch / "good.txt")
    result = run("ingest", "--no-embed", str(batch))
    assert result.exit_code == 1
    reasons = failures(result.output)
    assert reasons == {
        "saved-web-page.pdf": "this is a web page saved as a file (cookie banner and site links, "
                              "no report text), not a report",
        "search.txt": "this is a page of search results saved from a website, not a report",
        "template.docx": "this is an empty report template (its fields, such as '[Local "
                         "authority name]', were never filled in), not a report",
        "cover-only.pdf": "the file has no report text: headings, labels or numbers, but no "
                          "sentences",
    }  # fmt: skip
    assert "1 added" in result.output and "4 failed" in result.output
    assert [r.id for r in Store(index).reports()] == ["blackburn-with-darwen-2022-ilacs"]


@pytest.mark.corpus
def test_ofsted_report_not_found_pages_in_the_corpus_are_refused(index, tmp_path):
    pages = [CORPUS / "ilacs" / "80429_birmingham" / "children's services inspection - 19 october 2012.pdf",
             CORPUS / "ilacs" / "80431_blackpool" / "children's services inspection - 13 july 2012.pdf"]
    if not all(p.exists() for p in pages):
        pytest.skip(f"corpus not found at {CORPUS}")
    result = run("ingest", "--no-embed", *map(str, pages), str(ILACS_2022))
    reasons = failures(result.output)
    assert list(reasons.values()) == [
        "this is a web page saying 'Report not found', saved as a file, not a report; download "
        "the report itself again"
    ] * 2
    assert [r.id for r in Store(index).reports()] == ["blackburn-with-darwen-2022-ilacs"]


UNNAMED = """Inspection of local authority children’s services

Inspection dates: 6 to 17 March 2023

1. Children in care live in homes that meet their needs, and their social workers know them well.
"""


def test_a_report_with_no_council_is_stored_with_a_warning_and_listed_as_unnamed(index, tmp_path):
    path = tmp_path / "inspection.txt"
    path.write_text(UNNAMED, encoding="utf-8")
    result = run("ingest", "--no-embed", str(path), str(ILACS_2022))
    assert result.exit_code == 0
    assert f"Warning: {path}: no council could be read from this report; name it with " \
           "`findings correct inspection-2023-ilacs authority NAME`" in result.output
    assert "Warning" not in result.output.replace(f"Warning: {path}", "")  # one warning only
    assert "2 added" in result.output
    unnamed = run("reports", "--unnamed").output.splitlines()
    assert [line.split(":")[0] for line in unnamed] == ["inspection-2023-ilacs"]
    assert run("correct", "inspection-2023-ilacs", "authority", "Bury").exit_code == 0
    assert run("reports", "--unnamed").output == ""
    path.write_text(UNNAMED + "\n2. Care leavers value their personal advisers.\n", encoding="utf-8")
    result = run("ingest", "--no-embed", str(path))
    assert "1 replaced" in result.output and "Warning" not in result.output  # named by the user
