"""The web app: `findings.webapp` unit tests, then the real `app.py` driven by Streamlit's AppTest.

The AppTest tests (marked `model`) start the app on a temporary index: the first run builds it
from seeds/ with the real model (once per session, in `seeded_index_folder`); every test then
works on its own copy of that folder.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from findings.config import Settings
from findings.library import Library
from findings.models import Paragraph, Report, ReportMeta
from findings.webapp import reports as collection
from findings.webapp import views as wa

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
P9 = "blackburn-with-darwen-2022-ilacs:p9"
P9_CITATION = (
    "Inspection of Blackburn with Darwen local authority children’s services, "
    "24 January-4 February 2022, paragraph 9"
)
XSS_REPORT = """Blackpool Council

Inspection of Blackpool local authority children's services

Inspection dates: 1 March to 5 March 2021

1. Managers wrote <script>alert(1)</script> in the case file that supervision was irregular.

2. Some records held <img src=x onerror=alert(1)> markup instead of a plan for the child.
"""


# --- pure parts (no model) ---------------------------------------------------------------------


def test_report_text_is_escaped_before_highlighting():
    text = 'A <script>alert(1)</script> B. <img src=x onerror=alert(1)> & "q".'
    out = wa.highlight_html(text, [(0, 15), (10, 27)])
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert out.count("<mark>") == 1  # overlapping spans merged, then wrapped once
    assert out.replace("<mark>", "").replace("</mark>", "") == wa.highlight_html(text, [])


def test_card_escapes_every_field():
    meta = ReportMeta(authority="<b>Evil</b>", report_type="sif", judgements={"in_care": "good"})
    report = Report("r", "/x/r.txt", "h", meta)
    paragraph = Paragraph("r", "p1", 1, "numbered", "Children in care <i>", None, 0, "<svg onload=x>")
    out = wa.card_html(wa.card_for(paragraph, report, "svg"))
    assert "<b>Evil" not in out and "<i>" not in out and "<svg" not in out
    assert "&lt;svg onload=x&gt;" in out
    assert "Children in care: good" in out  # the grade names its judgement


def test_a_search_from_widget_values_applies_only_finished_filters():
    from findings.webapp.state import request_from_state

    state = {
        "query": "  care  leavers ", "f_councils": ["Blackpool"], "f_years": (2012, 2022), "f_types": ["sif"],
        "f_judgement": "in_care", "f_grade": "good", "f_scope": "neighbours", "f_scope_council": "Blackpool",
    }
    filters = request_from_state(state, (2012, 2022)).filters()
    assert filters.authorities == ("Blackpool",)
    assert (filters.from_year, filters.to_year) == (None, None)  # full range is no filter
    assert filters.judgements == (("in_care", "good"),)
    assert filters.neighbours_of == "Blackpool" and filters.region_of is None
    # Choosing a judgement alone, or "neighbours of" alone, filters nothing yet.
    unfinished = request_from_state({"f_judgement": "in_care", "f_scope": "neighbours"}, (2012, 2022))
    assert unfinished.filters() == request_from_state({}, (2012, 2022)).filters()
    assert unfinished.active() == []
    narrowed = request_from_state({"f_years": (2015, 2022), "f_grade": "good"}, (2012, 2022))
    assert (narrowed.filters().from_year, narrowed.filters().to_year) == (2015, None)
    assert narrowed.filters().judgements == ()  # a grade without a judgement is no filter


def test_the_url_round_trips_a_search_and_names_what_it_cannot_use():
    from findings.search_request import SearchRequest
    from findings.webapp.state import params_for, request_from_state, state_from_request

    request = SearchRequest(
        query="care leavers", mode="keyword", councils=("Blackpool",), from_year=2014, report_types=("sif",),
        judgement="care_leavers", grade="inadequate", scope="region", scope_council="Blackpool", page=2,
    )
    params = params_for(request, view="search")
    again = SearchRequest.from_params(params, councils=["Blackpool"])
    assert again == request and again.problems == ()
    assert request_from_state(state_from_request(again, (2012, 2022)), (2012, 2022)) == request
    tampered = SearchRequest.from_params(
        {"q": ["x"], "mode": ["turbo"], "from": ["99999"], "page": [str(10**9)], "council": ["Atlantis", "Blackpool"],
         "type": ["<script>"], "grade": ["brilliant"]},
        councils=["Blackburn with Darwen"],
    )
    assert tampered.mode == "hybrid" and tampered.from_year is None and tampered.page == 10
    assert tampered.councils == () and tampered.report_types == () and tampered.grade is None
    assert len(tampered.problems) == 7
    assert "Blackpool has no reports in this index now" in " ".join(tampered.problems)
    assert all(p.endswith(".") and "\n" not in p for p in tampered.problems)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\Users\\me\\Ofsted Report (final).PDF", "Ofsted Report -final.pdf"),
        ("/abs/path/.hidden.txt", "hidden.txt"),
        ("..", "upload"),
        ("rapport é.docx", "rapport.docx"),
    ],
)
def test_upload_names_never_carry_a_path(given, safe):
    assert collection.safe_upload_name(given) == safe


def test_save_upload_never_overwrites(tmp_path):
    first = collection.save_upload(tmp_path, "../r.txt", b"one")
    assert first == tmp_path / "r.txt"
    assert collection.save_upload(tmp_path, "r.txt", b"one") == first  # same bytes: same file
    second = collection.save_upload(tmp_path, "r.txt", b"two")
    assert second == tmp_path / "r-2.txt" and first.read_bytes() == b"one"


def test_save_upload_never_writes_through_a_symlink(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "report.txt").symlink_to(outside / "report.txt")  # dangling
    saved = collection.save_upload(uploads, "report.txt", b"data")
    assert saved.parent == uploads and not saved.is_symlink()
    assert not (outside / "report.txt").exists()


def test_bad_uploads_are_reported_not_raised(tmp_path):
    library = Library(Settings(tmp_path / "index", "unused"), embed=False)
    outcome = collection.ingest_uploads(
        library,
        [("notes.exe", b"MZ"), ("empty.txt", b""), ("broken.pdf", b"%PDF-1.4 not really"),
         ("ok.txt", XSS_REPORT.encode())],
        tmp_path / "index",
    )
    failed = dict(outcome.failed)
    assert set(failed) == {"notes.exe", "empty.txt", "broken.pdf"}
    assert "unsupported" in failed["notes.exe"]
    assert outcome.added == ["ok.txt"]  # named as the user knows it
    assert sorted(p.name for p in (tmp_path / "index" / "uploads").iterdir()) == ["ok.txt"]
    assert [r.meta.authority for r in library.store.reports()] == ["Blackpool"]


def test_judgement_history_gives_each_judgement_its_own_row():
    from datetime import date

    def report(rid: str, when: date, grades: dict[str, str]) -> Report:
        return Report(rid, rid, "h", ReportMeta("Blackpool", "sif", inspection_start=when, judgements=grades))

    rows = collection.judgement_history(
        [report("b", date(2018, 1, 1), {"overall_effectiveness": "good"}),
         report("a", date(2012, 1, 1), {"overall_effectiveness": "inadequate", "lscb": "adequate"})],
        "Blackpool",
    )
    assert [(r["date"].year, r["score"]) for r in rows if r["judgement"] == "Overall effectiveness"] == [
        (2012, 1), (2018, 3)]
    spec = collection.history_chart(rows).to_dict()
    layers = spec["layer"]
    assert layers[0]["encoding"]["y"]["field"] == "judgement"  # one row per judgement: no line hides another
    assert layers[1]["encoding"]["color"]["field"] == "grade"


def test_the_reports_table_leads_with_council_type_and_grades_and_never_shows_none():
    meta = ReportMeta("Blackpool", "child_protection_2012", inspection_start=None,
                      judgements={"overall_effectiveness": "inadequate"})
    rows = collection.collection_rows([Report("blackpool-2012", "/x/b.pdf", "h", meta, 10, 40)])
    assert list(rows[0])[:4] == ["council", "type", "inspected", "Overall effectiveness"]
    assert list(rows[0])[-1] == "id" and None not in rows[0].values()
    assert "Care leavers" not in rows[0]  # no column for a judgement no report has


# --- the real app (AppTest, real model) ---------------------------------------------------------


def seeded_index_folder(tmp_path_factory) -> tuple[Path, dict]:
    """<basetemp>/seeded-index as the app's first run built it, and what that run showed.

    Built once per session by running app.py on an empty FINDINGS_INDEX; later callers (also
    tests/test_browser.py) reuse the folder.
    """
    from streamlit.testing.v1 import AppTest

    folder = tmp_path_factory.getbasetemp() / "seeded-index"
    record = folder.with_suffix(".json")
    if not record.exists():
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FINDINGS_INDEX", str(folder))
            at = AppTest.from_file(str(APP), default_timeout=1200).run()
        shown = {
            "exceptions": [e.value for e in at.exception],
            "progress_bars": len(at.get("progress")),
            "success": [s.value for s in at.success],
        }
        record.write_text(json.dumps(shown))
    return folder, json.loads(record.read_text())


@pytest.fixture
def app(tmp_path_factory, tmp_path, monkeypatch):
    """app.py started on a private copy of the seeded index, already run once."""
    from streamlit.testing.v1 import AppTest

    seeded, _ = seeded_index_folder(tmp_path_factory)
    folder = tmp_path / "index"
    shutil.copytree(seeded, folder)
    monkeypatch.setenv("FINDINGS_INDEX", str(folder))
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cards(at) -> list[str]:
    """The ranked result cards (not those folded under "n more from this report")."""
    return [h.value for h in at.html if re.match(r'<div class="card"><div class="card-head"><b>\d+\. ', h.value)]


def search(at, query: str):
    at.text_input(key="query").set_value(query).run()
    assert not at.exception, [e.value for e in at.exception]
    return cards(at)


@pytest.mark.model
def test_first_run_builds_from_seeds_then_later_runs_reuse_it(app, tmp_path_factory):
    _, first = seeded_index_folder(tmp_path_factory)
    assert first["exceptions"] == []
    assert first["progress_bars"] == 1
    assert first["success"] == ["Index built: 5 added, 0 replaced, 0 unchanged, 0 failed."]
    assert not app.get("progress") and not app.success  # the second start builds nothing
    assert "5 sample reports" in app.caption[0].value and "findings ingest FOLDER" in app.caption[0].value
    app.sidebar.radio(key="view").set_value("reports").run()
    table = app.dataframe[0].value
    assert len(table) == 5
    assert set(table["council"]) == {"Blackburn with Darwen", "Blackpool"}
    assert list(table.columns[:3]) == ["council", "type", "inspected"]


@pytest.mark.model
def test_example_query_puts_the_known_finding_first(app):
    app.button(key="example:domestic abuse over-optimism").click().run()
    assert app.text_input(key="query").value == "domestic abuse over-optimism"
    found = cards(app)
    assert 5 <= len(found) <= 10  # five sample reports, at most two results from each
    first = found[0]
    assert "Blackburn with Darwen" in first and "paragraph 9" in first
    assert "24 January-4 February 2022" in first and "Help and protection: requires improvement" in first
    assert "<mark>Over-optimism about parental capacity to change" in first
    assert P9_CITATION.replace("'", "&#x27;") in first
    assert app.query_params["q"] == "domestic abuse over-optimism"  # the search is in the URL
    assert "strong match" in first
    councils_reports = [re.search(r"<b>\d+\. ([^<]+)</b> · ([^·]+) · ([^<]+?) <", c).groups() for c in found]
    assert max(councils_reports.count(r) for r in councils_reports) <= 2  # at most two from one report
    assert any(e.label.endswith("more from this report") for e in app.expander)


@pytest.mark.model
def test_an_index_without_vectors_is_embedded_once_then_searched(tmp_path, monkeypatch):
    """An index from an earlier version (or made for another model) holds reports but no
    vectors for the model: the app embeds them on opening instead of failing."""
    from streamlit.testing.v1 import AppTest

    folder = tmp_path / "index"
    Library(Settings.load(folder), embed=False).ingest([ROOT / "seeds"])  # text only
    monkeypatch.setenv("FINDINGS_INDEX", str(folder))
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert not at.success  # nothing was built from seeds/: the stored reports were kept
    first = search(at, "domestic abuse over-optimism")[0]
    assert "Blackburn with Darwen" in first and "paragraph 9" in first


@pytest.mark.model
def test_filters_narrow_the_results(app):
    everything = search(app, "domestic abuse over-optimism")
    assert any("Blackburn with Darwen" in c for c in everything)
    app.sidebar.multiselect(key="f_councils").set_value(["Blackpool"]).run()
    blackpool = cards(app)
    assert blackpool and all("<b>" in c and "Blackpool</b>" in c for c in blackpool)
    app.sidebar.multiselect(key="f_councils").set_value([]).run()
    app.sidebar.multiselect(key="f_types").set_value(["sif"]).run()
    sif = cards(app)
    assert sif and all("Single inspection framework inspection" in c for c in sif)
    app.sidebar.slider(key="f_years").set_value((2020, 2022)).run()
    assert not cards(app) and app.warning  # SIF 2017 and after 2020: nothing, said so


@pytest.mark.model
def test_similar_findings_and_context_open_inline(app):
    search(app, "domestic abuse over-optimism")
    app.toggle(key=f"sim:{P9}").set_value(True).run()
    assert not app.exception, [e.value for e in app.exception]
    headings = [h.value for h in app.html if h.value.startswith("<h4>")]
    assert headings == ["<h4>Blackpool</h4>"]  # the one other council among the seeds
    similar_cards = [h for h in app.html if h.value.startswith('<div class="card">') and "Blackpool</b>" in h.value]
    assert similar_cards
    app.toggle(key=f"ctx:{P9}").set_value(True).run()
    context = [h.value for h in app.html if 'class="ctx' in h.value]
    assert len(context) == 1 and "paragraph 8" in context[0] and "paragraph 10" in context[0]
    assert any("Lead inspector" in h.value for h in app.html)


@pytest.mark.model
def test_the_glossary_shows_what_it_also_searched_for_and_can_be_switched_off(app):
    expanded = search(app, "kids who run away from care")
    switches = app.get("button_group")[0]
    assert switches.value == ["kids", "run away"]
    assert "run away → missing from home or care, go missing" in switches.options
    switches.set_value(["run away"]).run()
    assert app.query_params["noexpand"] == "kids"
    assert cards(app) != expanded  # "kids" is now searched as typed


@pytest.mark.model
def test_choosing_a_judgement_alone_changes_nothing_and_filters_are_removable(app):
    everything = search(app, "domestic abuse over-optimism")
    app.sidebar.selectbox(key="f_judgement").set_value("help_and_protection").run()
    assert cards(app) == everything  # no grade chosen yet: no filter
    assert app.sidebar.selectbox(key="f_grade").value is None
    app.sidebar.radio(key="f_scope").set_value("neighbours").run()
    assert cards(app) == everything and app.sidebar.selectbox(key="f_scope_council").value is None
    app.sidebar.selectbox(key="f_grade").set_value("requires improvement").run()
    narrowed = cards(app)
    assert narrowed != everything
    assert all("Blackburn with Darwen" in c for c in narrowed)  # only its 2022 ILACS has that grade
    chip = app.button(key="unfilter:judgement")
    assert chip.label.startswith("Help and protection: requires improvement")
    chip.click().run()
    assert cards(app) == everything and app.sidebar.selectbox(key="f_judgement").value is None


@pytest.mark.model
def test_a_url_reproduces_a_search_and_a_tampered_one_still_works(tmp_path_factory, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    seeded, _ = seeded_index_folder(tmp_path_factory)
    folder = tmp_path / "index"
    shutil.copytree(seeded, folder)
    monkeypatch.setenv("FINDINGS_INDEX", str(folder))
    first = AppTest.from_file(str(APP), default_timeout=300).run()
    search(first, "care leavers personal adviser")
    first.sidebar.multiselect(key="f_councils").set_value(["Blackburn with Darwen"]).run()
    link = dict(first.query_params)
    assert link["q"] == "care leavers personal adviser" and link["council"] == "Blackburn with Darwen"
    fresh = AppTest.from_file(str(APP), default_timeout=300)
    fresh.query_params.update(link)
    fresh.run()
    assert not fresh.exception and cards(fresh) == cards(first)
    tampered = AppTest.from_file(str(APP), default_timeout=300)
    tampered.query_params.update({"q": "neglect", "mode": "<b>x</b>", "from": "99999", "page": "1000000000",
                                  "council": "Atlantis"})
    tampered.run()
    assert not tampered.exception, [e.value for e in tampered.exception]
    problems = [w.value for w in tampered.warning]
    assert len(problems) == 4 and any("Atlantis" in p for p in problems)
    assert cards(tampered)  # the page still searches


@pytest.mark.model
def test_collections_live_in_the_index_and_export_with_notes(app, monkeypatch, tmp_path_factory):
    from docx import Document
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import AppTest

    search(app, "domestic abuse over-optimism")
    app.button(key=f"add:{P9}").click().run()
    search(app, "care leavers personal adviser")
    second = next(k for k in (b.key for b in app.button) if k and k.startswith("add:") and k != f"add:{P9}")
    app.button(key=second).click().run()
    second = second.removeprefix("add:")
    assert app.button(key=f"add:{second}").label.startswith("In “My selection”")

    # A second tab (a new session on the same index) sees the same collection.
    other = AppTest.from_file(str(APP), default_timeout=300).run()
    other.sidebar.radio(key="view").set_value("collections").run()
    assert [h.value for h in other.html if h.value.startswith('<div class="card">')][0].count("paragraph 9") >= 1

    downloads: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, data, mimetype, kind, filename=None):
        downloads[filename] = data
        return original(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    app.sidebar.radio(key="view").set_value("collections").run()
    assert not app.exception, [e.value for e in app.exception]
    app.text_input(key=f"note:My selection:{P9}").set_value("<script>x</script> Our 2022 finding").run()
    assert any("plain text" in i.value for i in app.info)
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Word", "CSV", "Markdown", "JSON"]
    assert {f"my-selection.{s}" for s in ("docx", "csv", "md", "json")} <= set(downloads)
    word = Document(io.BytesIO(downloads["my-selection.docx"]))
    assert P9_CITATION in [p.text for p in word.paragraphs]
    assert "Note: <script>x</script> Our 2022 finding" in [p.text for p in word.paragraphs]
    rows = list(csv.DictReader(io.StringIO(downloads["my-selection.csv"].decode("utf-8-sig"))))
    assert rows[0]["citation"] == P9_CITATION and len(rows) == 2 and rows[0]["note"].endswith("Our 2022 finding")
    assert "/" not in rows[0]["source"]  # a file name, never a local path
    assert P9_CITATION in downloads["my-selection.md"].decode()
    assert json.loads(downloads["my-selection.json"])[0]["citation"] == P9_CITATION

    app.button(key=f"down:{P9}").click().run()
    cards_now = [h.value for h in app.html if h.value.startswith('<div class="card">')]
    assert "paragraph 9" in cards_now[1]
    app.button(key=f"remove:{P9}").click().run()
    cards_now = [h.value for h in app.html if h.value.startswith('<div class="card">')]
    assert len(cards_now) == 1 and "paragraph 9" not in cards_now[0]
    app.sidebar.radio(key="view").set_value("search").run()
    assert app.text_input(key="query").value == "care leavers personal adviser"  # kept


@pytest.mark.model
def test_markup_in_a_report_is_shown_as_text(app, tmp_path, embedder):
    source = tmp_path / "xss.txt"
    source.write_text(XSS_REPORT)
    Library(Settings(tmp_path / "index", embedder.name), embedder=embedder).ingest([source])
    app.radio(key="mode").set_value("keyword").run()
    found = search(app, "alert onerror script supervision")
    xss = [c for c in found if "Blackpool" in c and "alert(1)" in c]
    assert len(xss) == 2
    joined = "".join(xss)
    assert "<script" not in joined and "<img" not in joined
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert "&lt;img src=x onerror=alert(1)&gt;" in joined


@pytest.mark.model
def test_reports_page_charts_and_removal(app, tmp_path):
    app.sidebar.radio(key="view").set_value("reports").run()
    app.selectbox(key="history_council").set_value("Blackpool").run()
    assert len(app.get("vega_lite_chart")) == 1  # the judgement history
    app.text_input(key="theme").set_value("children missing from home or care").run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.get("vega_lite_chart")) == 2  # and the theme per year, by meaning
    assert [b.proto.label for b in app.get("download_button")] == ["Numbers as CSV"]
    assert app.selectbox(key="remove_choice").value is None  # nothing chosen for removal by default
    assert not [b for b in app.button if b.key == "remove_go"]
    app.selectbox(key="remove_choice").set_value("blackburn-with-darwen-2022-press-release").run()
    assert any("Remove blackburn-with-darwen-2022-press-release" in w.value for w in app.warning)
    app.button(key="remove_go").click().run()
    assert [s.value for s in app.success] == ["Removed blackburn-with-darwen-2022-press-release."]
    assert len(app.dataframe[0].value) == 4


@pytest.mark.model
def test_a_new_collection_becomes_the_current_one_and_the_box_still_switches(app):
    app.sidebar.radio(key="view").set_value("collections").run()
    app.text_input(key="new_collection").set_value("Board paper").run()
    app.button(key="create_collection").click().run()
    assert [s.value for s in app.success] == ["Created “Board paper”: “Add” buttons now add to it."]
    assert app.subheader[0].value == "Board paper · 0 paragraphs"  # it used to stay on “My selection”
    assert "Adding to “Board paper”" in app.sidebar.caption[0].value
    app.text_input(key="new_collection").set_value("   ").run()
    app.button(key="create_collection").click().run()  # never disabled: an empty name is one sentence
    assert [e.value for e in app.error] == ["give the collection a name; it cannot be empty"]
    app.selectbox(key="collection_choice:Board paper").set_value("My selection").run()
    assert app.subheader[0].value == "My selection · 0 paragraphs"
    assert "Adding to “My selection”" in app.sidebar.caption[0].value


@pytest.mark.model
def test_follow_up_compare_and_tags_in_the_app(app):
    search(app, "children missing from home or care")
    first_sif = next(b.key for b in app.toggle if b.key and b.key.startswith("follow:blackburn-with-darwen-2017-sif"))
    app.toggle(key=first_sif).set_value(True).run()
    assert not app.exception, [e.value for e in app.exception]
    later = [h.value for h in app.html if 'class="tag tag-' in h.value and "24 January-4 February 2022" in h.value]
    assert later, "the 2022 inspection follows up the 2017 one"
    assert any('class="tag tag-' in c for c in cards(app))  # each result says strength or area for improvement
    findings = app.sidebar.radio(key="f_tag")
    assert findings.value == "" and findings.options == ["All", "Only strengths", "Only areas for improvement"]
    findings.set_value("weakness").run()
    assert cards(app) and all("area for improvement" in c for c in cards(app))
    assert app.button(key="unfilter:tag").label == "Only areas for improvement  ✕"
    app.sidebar.radio(key="view").set_value("compare").run()
    app.multiselect(key="compare_councils").set_value(["Blackpool", "Blackburn with Darwen"]).run()
    app.text_input(key="compare_theme").set_value("children missing from home or care").run()
    assert not app.exception, [e.value for e in app.exception]
    assert [s.value for s in app.subheader][:2] == ["Blackpool", "Blackburn with Darwen"]
    assert [b.proto.label for b in app.get("download_button")] == ["Word", "CSV", "Markdown", "JSON"]
    app.multiselect(key="compare_councils").set_value(["Blackpool"]).run()
    assert any("Choose the councils" in i.value for i in app.info)


PAGING_COUNCILS = ("Leeds", "Bradford", "Wakefield", "Kirklees", "Calderdale", "Barnsley", "Rotherham", "Sheffield",
                   "Doncaster", "Stockport", "Trafford", "Wigan")


@pytest.mark.model
def test_next_reaches_page_two_and_is_off_when_there_is_none(app, tmp_path, embedder):
    assert search(app, "domestic abuse over-optimism")  # five sample reports: two results a report at most
    assert app.button(key="page_next").disabled and "Page 1 of 1" in [c.value for c in app.caption]
    sources = tmp_path / "more"
    sources.mkdir()
    for i, council in enumerate(PAGING_COUNCILS):
        (sources / f"{council.lower()}.txt").write_text(
            f"{council} Council\n\nInspection of {council} local authority children's services\n\n"
            f"Inspection dates: {i + 1} March to {i + 5} March 2021\n\n"
            f"1. Privately fostered children in {council} are identified and visited, and their carers assessed.\n\n"
            "2. Leaders know their services well.\n")
    Library(Settings(tmp_path / "index", embedder.name), embedder=embedder).ingest([sources])
    app.radio(key="mode").set_value("keyword").run()
    first = search(app, "privately fostered children")
    assert len(first) == 10 and not app.button(key="page_next").disabled
    app.button(key="page_next").click().run()
    assert any(c.value.startswith("Page 2") for c in app.caption)
    second = cards(app)
    assert second and re.search(r"<b>11\. ", second[0]) and not set(second) & set(first)
    app.button(key="page_prev").click().run()
    assert cards(app) == first


@pytest.mark.model
def test_a_link_to_another_page_keeps_its_search(tmp_path_factory, tmp_path, monkeypatch):
    """Reloading the Collections page (its URL still holds the search) must not drop the search."""
    from streamlit.testing.v1 import AppTest

    seeded, _ = seeded_index_folder(tmp_path_factory)
    shutil.copytree(seeded, tmp_path / "index")
    monkeypatch.setenv("FINDINGS_INDEX", str(tmp_path / "index"))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.query_params.update({"view": "collections", "q": "care leavers personal adviser", "mode": "keyword"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("q") in ("care leavers personal adviser", ["care leavers personal adviser"])
    at.sidebar.radio(key="view").set_value("search").run()
    assert at.text_input(key="query").value == "care leavers personal adviser"
    assert at.radio(key="mode").value == "keyword" and cards(at)
