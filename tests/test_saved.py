"""An analyst's saved work in the index database: collections (order, notes, rename, delete),
what happens to collected paragraphs when their report is ingested again or removed, exports
of a collection, saved searches, and the CLI commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder, fake_seed_library

from findings.cli import main
from findings.config import Settings
from findings.errors import QueryError
from findings.export import REMOVED, render
from findings.library import Library
from findings.saved import check_name, check_note, collect, entries, export_items
from findings.store import Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
P9 = "blackburn-with-darwen-2022-ilacs:p9"
P19 = "blackburn-with-darwen-2022-ilacs:p19"
BLACKPOOL_P16 = "blackpool-2012-child-protection:p16"


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory) -> Path:
    return fake_seed_library(tmp_path_factory.mktemp("saved-seeds")).settings.index_dir


@pytest.fixture
def library(seeds_index, tmp_path) -> Library:
    folder = tmp_path / "index"
    shutil.copytree(seeds_index, folder)
    return Library(Settings(folder, "fake"), embedder=FakeEmbedder())


def ids(store: Store, name: str) -> list[str]:
    return [item.paragraph_id for item in store.saved.items(name)]


def test_a_collection_keeps_order_notes_and_outlives_the_process(library):
    store = library.store
    assert collect(store, "Board paper", P9, note="Our finding", query="domestic abuse")
    assert collect(store, "Board paper", BLACKPOOL_P16)
    assert collect(store, "Board paper", P19)
    assert not collect(store, "board PAPER", P9)  # already there; names ignore case
    store.saved.reorder("Board paper", [P19, P9])
    store.saved.set_note("Board paper", BLACKPOOL_P16, "Compare with ours")
    store.close()
    reopened = Store(library.settings.index_dir)  # a restart
    assert ids(reopened, "Board paper") == [P19, P9, BLACKPOOL_P16]
    items = {i.paragraph_id: i for i in reopened.saved.items("Board paper")}
    assert items[P9].note == "Our finding" and items[P9].query == "domestic abuse"
    assert items[BLACKPOOL_P16].note == "Compare with ours"
    assert items[P9].saved["citation"].endswith("24 January-4 February 2022, paragraph 9")
    (info,) = reopened.saved.collections()
    assert (info.name, info.size) == ("Board paper", 3)


def test_rename_delete_and_names_a_user_can_get_wrong(library):
    store = library.store
    collect(store, "Draft", P9)
    store.saved.rename_collection("Draft", "Final")
    assert [c.name for c in store.saved.collections()] == ["Final"] and ids(store, "Final") == [P9]
    assert store.saved.delete_collection("Final") and store.saved.collections() == []
    assert store.report("blackburn-with-darwen-2022-ilacs") is not None  # reports stay
    for bad, said in (("   ", "cannot be empty"), ("x" * 500, "at most 80 characters"),
                      ("<b>Board</b>", "plain words"), ("\x1b[31mred", "plain words")):
        with pytest.raises(QueryError, match=said):
            check_name(bad)
    assert check_name("  Board   paper 2024 (draft) ") == "Board paper 2024 (draft)"
    note, told = check_note("<script>alert(1)</script> read this")
    assert note == "<script>alert(1)</script> read this" and "plain text" in told
    with pytest.raises(QueryError, match="no paragraph with id"):
        collect(store, "Board paper", "nowhere:p1")
    assert store.saved.collections() == []  # nothing half-made by the failed call


def test_a_report_ingested_again_keeps_its_collected_paragraphs(library, tmp_path):
    report_file = tmp_path / "report.txt"
    # A copy with its own bytes: an exact copy of the indexed seed would be a duplicate, not a report.
    report_file.write_text((SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt").read_text() + "\n")
    library.ingest([report_file])
    report_id = next(r.id for r in library.store.reports() if r.source == str(report_file.resolve()))
    paragraphs = library.store.paragraphs(report_id)
    p9 = next(p for p in paragraphs if p.number == 9)
    item = next(p for p in paragraphs if p.kind == "prose" and len(p.text) > 80)
    collect(library.store, "Work", p9.id)
    collect(library.store, "Work", item.id)
    # The file changes: a new paragraph before everything, so every unnumbered key moves on.
    text = report_file.read_text()
    report_file.write_text("Inspection of Blackburn with Darwen local authority children's services\n\n"
                           "A preface added to the file.\n\n" + text)
    library.ingest([report_file])
    now = {p.id: p for p in library.store.paragraphs(report_id)}
    kept = entries(library.store, "Work")
    assert [e.removed for e in kept] == [False, False]
    assert kept[0].paragraph.number == 9 and kept[0].paragraph.text == p9.text
    assert kept[1].paragraph.text == item.text and kept[1].item.paragraph_id in now
    assert kept[1].item.paragraph_id != item.id  # its key moved on; it was found by its text


def test_a_removed_report_leaves_its_paragraphs_visible_and_exportable(library):
    store = library.store
    collect(store, "Work", P9, note="keep this")
    collect(store, "Work", BLACKPOOL_P16)
    cited = store.saved.items("Work")[0].saved["citation"]
    library.remove("blackburn-with-darwen-2022-ilacs")
    kept = entries(store, "Work")
    assert [e.removed for e in kept] == [True, False]
    assert kept[0].citation == cited and "Over-optimism" in kept[0].text
    rows = json.loads(render(export_items(kept), "json", group_by="council"))
    assert rows[0]["status"] == REMOVED and rows[0]["citation"] == cited and rows[0]["note"] == "keep this"
    assert rows[1]["status"] is None
    assert [r["group"] for r in rows] == ["Blackburn with Darwen", "Blackpool"]
    markdown = render(export_items(kept), "md", title="Work", group_by="council").decode()
    assert "## Blackburn with Darwen" in markdown and "## Blackpool" in markdown
    assert "Removed from the index: the text and citation saved when it was collected." in markdown
    assert "Note: keep this" in markdown


def test_exports_group_by_section_heading(library):
    for pid in (P9, BLACKPOOL_P16, P19):
        collect(library.store, "Work", pid)
    rows = json.loads(render(export_items(entries(library.store, "Work")), "json", group_by="section"))
    groups = [r["group"] for r in rows]
    assert groups == sorted(groups, key=groups.index)  # each group's items together
    assert all(r["group"] == (r["heading"] or r["section"]) for r in rows)
    with pytest.raises(QueryError, match="unknown grouping"):
        render(export_items(entries(library.store, "Work")), "json", group_by="colour")


def test_cli_collections_collect_export_and_saved_searches(library, tmp_path, monkeypatch):
    monkeypatch.setattr("findings.embedding.load_embedder", lambda *a, **k: FakeEmbedder())
    index = ["--index", str(library.settings.index_dir)]
    runner = CliRunner()
    empty = runner.invoke(main, ["collections", *index])
    assert empty.exit_code == 0 and "No collections yet" in empty.output
    added = runner.invoke(main, ["collect", "Board paper", P9, BLACKPOOL_P16, "--note", "for the board", *index])
    assert added.exit_code == 0, added.output
    assert f"{P9} added to Board paper" in added.output
    listed = runner.invoke(main, ["collections", "--json", *index])
    assert json.loads(listed.output) == {"name": "Board paper", "paragraphs": 2, "updated": json.loads(
        listed.output)["updated"]}
    out = tmp_path / "board.csv"
    exported = runner.invoke(main, ["export", "--collection", "board paper", "--group-by", "council",
                                    "--format", "csv", "--out", str(out), *index])
    assert exported.exit_code == 0, exported.output
    text = out.read_text(encoding="utf-8-sig")
    assert "for the board" in text and "Blackpool" in text
    missing = runner.invoke(main, ["export", "--collection", "Nope", "--format", "csv", "--out", "-", *index])
    assert missing.exit_code == 1 and "no collection named 'Nope'" in missing.output
    bad = runner.invoke(main, ["collect", "<b>x</b>", P9, *index])
    assert bad.exit_code == 1 and bad.output.startswith("Error: a collection name is plain words")

    saved = runner.invoke(main, ["search", "domestic abuse", "--authority", "Blackpool", "--save", "Ours",
                                 "--json", *index])
    assert saved.exit_code == 0, saved.output
    first = [json.loads(line)["id"] for line in saved.output.splitlines() if line.startswith("{")]
    again = runner.invoke(main, ["search", "--saved", "ours", "--json", *index])
    assert again.exit_code == 0, again.output
    assert [json.loads(line)["id"] for line in again.output.splitlines() if line.startswith("{")] == first
    assert all(i.startswith("blackpool") for i in first)
    library.remove("blackpool-2012-child-protection")
    gone = runner.invoke(main, ["search", "--saved", "Ours", *index])
    assert "Blackpool has no reports in this index now" in gone.output
    unknown = runner.invoke(main, ["search", "--saved", "Theirs", *index])
    assert unknown.exit_code == 1 and "no saved search named 'Theirs'" in unknown.output
