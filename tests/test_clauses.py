"""What is embedded for a paragraph: its windows and its clauses (findings.embedding.clauses)."""

from __future__ import annotations

import numpy as np
from fakes import FakeEmbedder

from findings.config import Settings
from findings.embedding import clauses as clause_module
from findings.embedding.clauses import clause_spans, clauses, embedding_parts
from findings.ingest import embed_new
from findings.migrations import MIGRATIONS
from findings.models import Paragraph
from findings.store import Store, text_hash

P9 = (
    "The response to children who experience domestic abuse is inconsistent. Over-optimism about "
    "parental capacity to change, along with a lack of understanding about the complexities of "
    "domestic abuse, leads to an over-reliance on written agreements to manage risks. This leaves "
    "a small number of children exposed to ongoing repeated incidents of domestic abuse."
)


def test_clauses_are_cut_at_punctuation_and_keep_the_report_text():
    sentence = (
        "Over-optimism about parental capacity to change, along with a lack of understanding "
        "about the complexities of domestic abuse, leads to an over-reliance on written agreements."
    )
    assert clauses(sentence) == [
        "Over-optimism about parental capacity to change",
        "along with a lack of understanding about the complexities of domestic abuse",
        "leads to an over-reliance on written agreements.",
    ]
    # A short piece joins the clause before it (the first one, the clause after it), with the
    # report's own punctuation kept between them.
    assert clauses("Overall, plans are clear and specific; visits – as agreed – happen on time and help") == [
        "Overall, plans are clear and specific; visits – as agreed",
        "happen on time and help",
    ]
    assert clauses("Children are safe.") == ["Children are safe."]
    text = "  Leaders know: the service is improving, and staff feel it.  "
    assert all(text[a:b] == text[a:b].strip() for a, b in clause_spans(text))


def test_embedding_parts_pools_long_clauses_and_reads_short_ones_alone():
    parts = embedding_parts(P9, FakeEmbedder(), read_alone=8)  # the fake counts words as tokens
    assert parts.windows == 1 and parts.texts[0] == P9
    read = [parts.texts[t] if a is None else parts.texts[t][a:b] for t, a, b in parts.clauses]
    assert read == [
        "The response to children who experience domestic abuse is inconsistent.",
        "Over-optimism about parental capacity to change",
        "along with a lack of understanding about the complexities of domestic abuse",
        "leads to an over-reliance on written agreements to manage risks.",
        "This leaves a small number of children exposed to ongoing repeated incidents of domestic abuse.",
    ]
    alone = [parts.texts[t] for t, a, _ in parts.clauses if a is None]
    assert alone == ["Over-optimism about parental capacity to change"]  # 7 words
    assert embedding_parts("Children are safe and well supported.", FakeEmbedder()).clauses == []


def test_a_long_paragraph_places_each_clause_in_a_window_that_holds_it():
    text = " ".join([P9] * 4)
    parts = embedding_parts(text, FakeEmbedder(max_tokens=60), read_alone=0)
    assert parts.windows > 1
    spans = [(t, a, b) for t, a, b in parts.clauses if a is not None]
    assert len(parts.clauses) == 20 and len(spans) == 20
    assert [t for t, _, _ in spans] == sorted(t for t, _, _ in spans)  # reading order
    for t, a, b in spans:
        assert t < parts.windows and parts.texts[t][a:b] in P9


def test_embed_new_numbers_windows_first_then_clauses(tmp_path):
    assert clause_module.READ_ALONE_TOKENS == 8  # below: clauses of the fake's words counted
    fake = FakeEmbedder()
    store = Store(tmp_path)
    paragraph = Paragraph("r", "p9", 9, "numbered", "", 1, 0, P9)
    rows = list(embed_new([paragraph], store, fake))
    assert [(h, model, window) for h, model, window, _ in rows] == [
        (text_hash(P9), fake.name, i) for i in range(6)
    ]
    vectors = np.stack([v for *_, v in rows])
    # The fake pools a clause from its own words, so each clause row is that clause's vector.
    np.testing.assert_allclose(vectors[0], fake.encode_query(P9))
    np.testing.assert_allclose(vectors[2], fake.encode_query("Over-optimism about parental capacity to change"))
    np.testing.assert_allclose(
        vectors[3],
        fake.encode_query("along with a lack of understanding about the complexities of domestic abuse"),
    )


def _index_of_schema_version_1(folder, paragraphs: list[tuple[int, str]]) -> None:
    """A database as findings wrote it before migration 2: the first schema, one report, its
    paragraphs and a vector of each (made by the old clause scheme)."""
    import sqlite3

    from findings.migrations import _statements

    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "findings.db", isolation_level=None)
    for statement in _statements(MIGRATIONS[0].sql):
        db.execute(statement)
    db.execute(
        "INSERT INTO reports VALUES ('blackpool-note', '/old/note.txt', 'h-p2', 'Blackpool', 'other', 'Note',"
        " NULL, NULL, NULL, NULL, '{}', 1, '2024-01-01T00:00:00+00:00')"
    )
    fake = FakeEmbedder()
    for position, (number, text) in enumerate(paragraphs):
        db.execute(
            "INSERT INTO paragraphs (id, report_id, key, number, kind, section, page, position, text,"
            " boilerplate, number_inferred, text_hash) VALUES (?, 'blackpool-note', ?, ?, 'numbered', '', 1, ?,"
            " ?, 0, 0, ?)",
            (f"blackpool-note:p{number}", f"p{number}", number, position, text, text_hash(text)),
        )
        vector = fake.encode_query(text)
        db.execute("INSERT INTO vectors VALUES (?, ?, 0, ?, ?)", (text_hash(text), fake.name, vector.shape[0],
                                                                vector.tobytes()))
    db.execute("PRAGMA user_version = 1")
    db.close()


def test_upgrading_an_index_drops_vectors_of_the_old_clause_scheme_and_keeps_reports(tmp_path):
    from findings.library import Library
    from findings.store import StoreError

    _index_of_schema_version_1(tmp_path / "index", [(1, P9), (2, "Leaders know their services well.")])
    upgraded = Library(Settings.load(tmp_path / "index"), embedder=FakeEmbedder())
    assert upgraded.store.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0
    assert upgraded.store.report_ids() == {"blackpool-note"}
    assert upgraded.search("leaders", mode="keyword")  # keyword search needs no vectors
    try:
        upgraded.search("leaders", mode="semantic")
    except StoreError as exc:
        assert "run `findings reindex" in str(exc)
    else:
        raise AssertionError("semantic search ran without vectors")
    assert upgraded.reindex() == 2
    assert upgraded.search("domestic abuse", mode="semantic")[0].paragraph.number == 1
    # Every migration since is recorded by name, and rowids are never reused from now on.
    names = [r[0] for r in upgraded.store.db.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [m.name for m in MIGRATIONS]
