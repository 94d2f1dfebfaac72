"""The dev-set metrics against hand-worked examples, the packaged dev set, and re-matching."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from types import SimpleNamespace

import pytest

from findings.evaluate import (
    DevsetError,
    dcg,
    evaluate,
    load_devset,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    render_table,
)
from findings.models import Paragraph, Report, ReportMeta
from findings.store import Store

# Judged: a=2, b=0, c=1, e=2.  "d" and "x" were never judged.
GRADES = {"a": 2, "b": 0, "c": 1, "e": 2}


def test_dcg_uses_a_log2_discount_from_rank_one():
    # 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5
    assert dcg([2, 1, 1]) == pytest.approx(3.13093, abs=1e-5)


def test_ndcg_of_a_known_ranking():
    # Ranking a, b, c, d has gains 2, 0, 1, 0:  DCG = 2/1 + 0 + 1/log2(4) + 0 = 2.5.
    # The ideal takes every judged positive, best first (2, 2, 1):
    #   2/1 + 2/log2(3) + 1/log2(4) = 2 + 1.26186 + 0.5 = 3.76186.
    # nDCG@4 = 2.5 / 3.76186 = 0.66457.
    assert ndcg_at_k(["a", "b", "c", "d"], GRADES, k=4) == pytest.approx(0.66457, abs=1e-5)


def test_ndcg_cuts_at_k_and_the_ideal_too():
    # At k=1 the ranking has gain 2 at rank 1 and so does the ideal.
    assert ndcg_at_k(["a", "b", "c"], GRADES, k=1) == 1.0
    # The relevant "e" found only at rank 11 earns nothing at k=10.
    ranked = [f"x{i}" for i in range(10)] + ["e"]
    assert ndcg_at_k(ranked, GRADES, k=10) == 0.0


def test_an_unjudged_paragraph_counts_as_gain_zero():
    # x is unjudged (gain 0), a at rank 2: DCG = 2/log2(3) = 1.26186; ideal 3.76186.
    assert ndcg_at_k(["x", "a"], GRADES, k=10) == pytest.approx(1.26186 / 3.76186, abs=1e-5)
    assert ndcg_at_k(["x", "a"], GRADES, k=10) == ndcg_at_k(["b", "a"], GRADES, k=10)


def test_perfect_ranking_scores_one_and_no_positives_scores_zero():
    assert ndcg_at_k(["a", "e", "c", "b"], GRADES, k=10) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "b"], {"a": 0, "b": 0}, k=10) == 0.0


def test_recall_counts_paragraphs_graded_one_or_more():
    # Positives are a, c, e.
    assert recall_at_k(["a", "b"], GRADES, k=20) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "b", "c", "d"], GRADES, k=20) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "b", "c", "d", "e"], GRADES, k=4) == pytest.approx(2 / 3)
    assert recall_at_k(["x"], {}, k=20) == 0.0


def test_reciprocal_rank_of_the_first_positive():
    assert reciprocal_rank(["b", "d", "c", "a"], GRADES) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a"], GRADES) == 1.0
    assert reciprocal_rank(["b", "x"], GRADES) == 0.0


# --- the packaged dev set -------------------------------------------------------------------


def test_the_packaged_devset_has_forty_queries_with_graded_judgements():
    devset = load_devset()
    assert len(devset.queries) >= 40
    assert len({q.id for q in devset.queries}) == len(devset.queries)
    assert {q.style for q in devset.queries} == {"report", "plain", "mixed"}
    for q in devset.queries:
        grades = [j.grade for j in q.judgements]
        assert set(grades) <= {0, 1, 2}, q.id
        assert sum(g >= 1 for g in grades) >= 3, q.id
        assert len({j.paragraph for j in q.judgements}) == len(q.judgements), q.id
        for j in q.judgements:
            assert j.source and "/" in j.source, (q.id, j.paragraph)
            assert j.paragraph.split(":")[0] and j.text, (q.id, j.paragraph)
            if j.number is not None:  # numbered paragraphs are keyed by their number
                assert j.paragraph.endswith(f":p{j.number}"), (q.id, j.paragraph)
    sources = {j.source for q in devset.queries for j in q.judgements}
    assert sources <= set(devset.reports)


def test_a_bad_grade_is_refused(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"queries": [{"id": "q", "query": "x", "judgements": [
        {"paragraph": "r:p1", "source": "a/b.pdf", "number": 1, "text": "t", "grade": 3}]}]}))
    with pytest.raises(DevsetError, match="grades outside 0-2"):
        load_devset(path)


def test_a_missing_devset_is_one_clear_error(tmp_path):
    with pytest.raises(DevsetError, match="cannot read the dev set"):
        load_devset(tmp_path / "nope.json")


# --- evaluate over a small store, with ids that have shifted ---------------------------------


def _paragraph(report_id: str, number: int, text: str) -> Paragraph:
    return Paragraph(report_id=report_id, key=f"p{number}", number=number, kind="numbered",
                     section="The experiences and progress of children", page=1, position=number,
                     text=text)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "index")
    texts = {1: "Private fostering arrangements are assessed well.",
             2: "Care leavers have personal advisers.",
             3: "Children who are privately fostered are not visited."}
    # The report id has changed since the dev set was judged ("old-2020" -> "new-2020").
    report = Report(id="new-2020", source="/data/ilacs/123_town/inspection - 2020.pdf",
                    content_hash="h", meta=ReportMeta(authority="Town"))
    store.put_report(report, [_paragraph("new-2020", n, t) for n, t in texts.items()])
    yield store
    store.close()


def _devset(tmp_path, judgements, reports=("123_town/inspection - 2020.pdf",)):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"reports": list(reports), "queries": [
        {"id": "q1", "query": "private fostering", "judgements": judgements}]}))
    return path


def _judgement(pid, number, text, grade):
    return {"paragraph": pid, "source": "123_town/inspection - 2020.pdf", "number": number,
            "text": text[:60], "grade": grade}


def test_evaluate_rematches_shifted_ids_and_reports_the_missing(tmp_path, store):
    path = _devset(tmp_path, [
        _judgement("old-2020:p1", 1, "Private fostering arrangements are assessed well.", 2),
        _judgement("old-2020:p3", 3, "Children who are privately fostered are not visited.", 1),
        _judgement("old-2020:p9", 9, "A paragraph the splitter no longer produces.", 2),
        _judgement("old-2020:p2", 2, "Care leavers have personal advisers.", 0),
    ])
    seen = []

    def search(query, n, mode, filters):
        seen.append((mode, filters.report_ids))
        ranked = ["new-2020:p2", "new-2020:p1"] if mode == "keyword" else ["new-2020:p1", "new-2020:p3"]
        return [SimpleNamespace(paragraph=SimpleNamespace(id=pid)) for pid in ranked]

    report = evaluate(store, search, path)
    assert report.rematched == ("old-2020:p1", "old-2020:p3", "old-2020:p2")
    assert report.missing == ("old-2020:p9",)
    assert {filters for _, filters in seen} == {("new-2020",)}  # searches only judged reports
    semantic = report.mode("semantic")
    # Gains 2, 1 against an ideal of 2, 2, 1 (the missing p9 still counts in the ideal):
    # (2 + 1/log2(3)) / (2 + 2/log2(3) + 1/2)
    ideal = 2 + 2 / math.log2(3) + 0.5
    assert semantic.ndcg == pytest.approx((2 + 1 / math.log2(3)) / ideal)
    assert semantic.recall == pytest.approx(2 / 3)  # p9 is never found
    assert semantic.mrr == 1.0
    keyword = report.mode("keyword")
    assert keyword.mrr == 0.5 and keyword.ndcg == pytest.approx((2 / math.log2(3)) / ideal)
    table = render_table(report, per_query=True)
    assert "nDCG@10" in table and "Recall@20" in table and "MRR" in table
    assert "1 judged paragraphs not in this index" in table
    assert "private fostering" in table


def test_evaluate_reports_each_mode_for_each_query_class(tmp_path, store):
    def judgement(number, grade):
        return {"paragraph": f"new-2020:p{number}", "source": "123_town/inspection - 2020.pdf",
                "number": number, "text": "", "grade": grade}

    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"reports": ["123_town/inspection - 2020.pdf"], "queries": [
        {"id": "q1", "query": "private fostering", "judgements": [judgement(1, 2), judgement(3, 1)]},
        {"id": "q2", "query": "kids leaving care", "style": "plain", "judgements": [judgement(2, 2)]},
        {"id": "q3", "query": "PF visits", "style": "mixed", "judgements": [judgement(3, 2), judgement(1, 0)]},
        {"id": "q4", "query": "kids privately fostered", "style": "plain", "judgements": [judgement(3, 2)]},
    ]}))

    def search(query, n, mode, filters):  # the same ranking for every query
        ranked = ["new-2020:p2", "new-2020:p1"] if mode == "keyword" else ["new-2020:p1", "new-2020:p3", "new-2020:p2"]
        return [SimpleNamespace(paragraph=SimpleNamespace(id=pid)) for pid in ranked]

    report = evaluate(store, search, path, modes=("semantic", "keyword"))
    semantic, keyword = report.mode("semantic"), report.mode("keyword")
    # Classes in the order report, plain, mixed, whatever the order of the queries.
    assert [c.style for c in semantic.classes] == ["report", "plain", "mixed"]
    assert [c.queries for c in semantic.classes] == [1, 2, 1]
    # Semantic ranks p1, p3, p2.  q1 (report): gains 2, 1, the ideal ranking: nDCG 1, recall 1, MRR 1.
    assert asdict(semantic.of_class("report")) == {
        "style": "report", "ndcg": pytest.approx(1.0), "recall": 1.0, "mrr": 1.0, "queries": 1}
    # q2 (plain): p2 at rank 3 gives 2/log2(4) = 1 of an ideal 2: nDCG 0.5, recall 1, MRR 1/3.
    # q4 (plain): p3 at rank 2 gives 2/log2(3) of an ideal 2: nDCG 0.63093, recall 1, MRR 1/2.
    plain = semantic.of_class("plain")
    assert plain.ndcg == pytest.approx((0.5 + 1 / math.log2(3)) / 2)  # 0.56546
    assert plain.recall == 1.0
    assert plain.mrr == pytest.approx((1 / 3 + 1 / 2) / 2)
    # q3 (mixed) is ranked like q4: p3 second.
    assert semantic.of_class("mixed").ndcg == pytest.approx(1 / math.log2(3))
    assert semantic.of_class("mixed").mrr == 0.5
    # Keyword ranks p2, p1.  q2 finds its one paragraph first; q4 finds nothing.
    assert keyword.of_class("plain").ndcg == pytest.approx(0.5)
    assert keyword.of_class("plain").recall == 0.5 and keyword.of_class("plain").mrr == 0.5
    # q1: p1 at rank 2 earns 2/log2(3) of an ideal 2 + 1/log2(3); p3 is never found.
    report_class = keyword.of_class("report")
    assert report_class.ndcg == pytest.approx((2 / math.log2(3)) / (2 + 1 / math.log2(3)))  # 0.47963
    assert report_class.recall == 0.5 and report_class.mrr == 0.5
    # The overall means are still over every query: semantic nDCG (1 + 0.5 + 2 * 0.63093) / 4.
    assert semantic.ndcg == pytest.approx((1 + 0.5 + 2 / math.log2(3)) / 4)
    assert semantic.queries == 4
    # Rows carry their class, so the per-query JSON does too.
    assert {(r.query_id, r.style) for r in report.rows} == {
        ("q1", "report"), ("q2", "plain"), ("q3", "mixed"), ("q4", "plain")}
    table = render_table(report).splitlines()
    at = table.index("plain (2 queries)")
    assert table[at + 1].split() == ["nDCG@10", f"{plain.ndcg:.3f}", "0.500"]
    assert table[at + 2].split() == ["Recall@20", "1.000", "0.500"]
    assert table[at + 3].split() == ["MRR", "0.417", "0.500"]
    assert "report (1 queries)" in table and "mixed (1 queries)" in table


def test_evaluate_refuses_an_index_without_the_judged_reports(tmp_path, store):
    path = _devset(tmp_path, [_judgement("x:p1", 1, "t", 2)], reports=("999_elsewhere/x.pdf",))
    with pytest.raises(DevsetError, match="none of the 1 reports"):
        evaluate(store, lambda *a: [], path)
