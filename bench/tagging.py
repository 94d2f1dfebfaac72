"""Train the strength / area-for-improvement / context tagger and evaluate it on held-out reports.

    .venv/bin/python bench/tagging.py                       # ../shared/corpus; writes the model
    .venv/bin/python bench/tagging.py --cache /tmp/tagging  # keep the parsed corpus and vectors
    .venv/bin/python bench/tagging.py --compare             # also cross-validate the alternatives
    .venv/bin/python bench/tagging.py --draw-eval 440       # the held-out sample, to label by hand

Needs scikit-learn (training only: findings.tagging reads the written JSON without it) and, for
the MiniLM alternatives, the embedding model (`--no-teacher` skips them).

Data (docs/tagging.md says why and how):

* held out: every report of the councils named in src/findings/data/tagging_eval.jsonl, 440
  sentences drawn at random from them and labelled by hand; nothing from those councils is
  trained on;
* weak labels from the structure of the other reports: sentences under "What needs to improve",
  "Recommendations", "Areas for improvement", "... is not yet good because" are weaknesses;
  under "The local authority's strengths", "... is good because" strengths; under "Children
  living in this area", "Local leadership", "Previous Ofsted inspections" context; and in the
  body of a judgement graded good or outstanding a sentence with no critical cue word is a
  strength, in one graded requires improvement or inadequate a sentence with one is a weakness;
* hand labels: src/findings/data/tagging_train.jsonl (600 sentences of other reports).

Method (shipped): TF-IDF over word 1-2-grams and multinomial logistic regression, trained on
the weak labels (section labels weighted 3) and the hand labels (weighted 5): linear, so its
reasons are words, and thousands of sentences a second with no model to load.  Measured beside
it: a MiniLM teacher (logistic regression over all-MiniLM-L6-v2 sentence vectors, same labels)
and a TF-IDF student distilled from the teacher's probabilities for every training sentence.
Neither won clearly (docs/tagging.md), so the simpler model ships.

The script writes src/findings/data/tagging_model.json, checks that `findings.tagging` reading
that file gives scikit-learn's probabilities, and prints accuracy, per-class precision and
recall and the confusion matrix on the held-out set for the shipped model and the alternatives.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from findings.citations import section_judgement
from findings.metadata import extract_metadata
from findings.readers import read_pages
from findings.sentences import split_sentences
from findings.split import split_pages
from findings.tagging import MODEL_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION, TAGS, TagModel, features

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus"
DATA = PROJECT / "src" / "findings" / "data"
EVAL_FILE = DATA / "tagging_eval.jsonl"
TRAIN_FILE = DATA / "tagging_train.jsonl"
SEED = 2024  # the held-out councils
EVAL_SEED = 7  # the held-out sentences
HELD_OUT_COUNCILS = 14
NGRAMS = 2
MIN_DF = 5
C = 4.0
HAND_WEIGHT = 5.0  # a hand label counts as this many weak ones
SECTION_WEIGHT = 3.0  # a label from a section heading, likewise (they are rarer and surer than graded ones)
SOFT_FLOOR = 0.05  # teacher probabilities below this are not trained on
_WORDS = re.compile(r"[A-Za-z]{2,}")

WEAK_SECTION = re.compile(
    r"^(what needs to improve|what does the local authority need to improve|.*areas? for improvement"
    r"|.*not yet good because|.*inadequate because|.*serious weaknesses|priority and immediate action"
    r"|priority actions|immediately|within three months|recommendations:?$)",
    re.I,
)
STRONG_SECTION = re.compile(r"(strengths:?$|is good because|are good because|outstanding because)", re.I)
CONTEXT_SECTION = re.compile(
    r"^(children living in this area|child protection in this area|children looked after in this area"
    r"|other information about this area|previous ofsted inspections|other ofsted inspections"
    r"|local leadership|service information|information about this local authority|the local authority$)",
    re.I,
)
# Cue words of criticism, narrow on purpose: "risk", "most" or "need" are as common in praise.
CRITICAL = re.compile(
    r"\b(not|no|nor|none|never|lacks?|lacking|poor(?:ly)?|however|although|though|but"
    r"|inconsistent(?:ly)?|inconsistency|variable|variabl[ey]|varies|delays?|delayed|drift|too"
    r"|weak(?:er|ness|nesses)?|limited|insufficient(?:ly)?|yet|fail(?:s|ed|ing|ure|ures)?"
    r"|shortfalls?|deficits?|unclear|absence|slow(?:ly)?|only|despite|while|whilst|gaps?|concerns?"
    r"|requires? improvement|inadequate|little|few|less|absent|mixed|variation|hinder\w*|limit(?:s|ing|ed)"
    r"|lower|under[- ]?developed|needs? to|would (?:assist|benefit|help)|loss|stall\w*|overly|urgent"
    r"|pressure|lost|reduces? the ability)\b",
    re.I,
)


@dataclass(frozen=True)
class Sentence:
    report: str  # <urn>_<council>/<file name>.pdf
    page: int | None
    section: str
    text: str

    @property
    def council(self) -> str:
        return self.report.split("/")[0]


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str
    source: str  # section, graded, hand
    council: str


# --- the corpus ----------------------------------------------------------------------------------


def read_corpus(corpus: Path, cache: Path | None) -> list[dict]:
    """Every report as {report, judgements, paragraphs: [{section, page, boilerplate, sentences}]}."""
    cached = cache / "corpus.jsonl" if cache else None
    if cached and cached.exists():
        return [json.loads(line) for line in cached.open(encoding="utf-8")]
    reports = []
    files = sorted((corpus / "ilacs").glob("*/*.pdf"))
    started = time.time()
    for n, path in enumerate(files, 1):
        pages = read_pages(path)
        meta = extract_metadata(pages, path.name)
        reports.append({
            "report": str(path.relative_to(corpus / "ilacs")),
            "judgements": meta.judgements,
            "paragraphs": [
                {"section": p.section, "page": p.page, "boilerplate": p.boilerplate,
                 "sentences": split_sentences(p.text)}
                for p in split_pages(pages)
            ],
        })  # fmt: skip
        if n % 50 == 0:
            print(f"  read {n}/{len(files)} reports ({time.time() - started:.0f} s)", file=sys.stderr)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text("".join(json.dumps(r) + "\n" for r in reports), encoding="utf-8")
    return reports


def finding_sentences(reports: list[dict], min_words: int) -> list[Sentence]:
    """Sentences of non-boilerplate paragraphs with at least `min_words` words, first occurrence only."""
    seen: set[str] = set()
    out = []
    for report in reports:
        for p in report["paragraphs"]:
            if p["boilerplate"]:
                continue
            for text in p["sentences"]:
                key = text.strip().lower()
                if len(_WORDS.findall(text)) >= min_words and key not in seen:
                    seen.add(key)
                    out.append(Sentence(report["report"], p["page"], p["section"], text))
    return out


def held_out_councils(reports: list[dict]) -> list[str]:
    councils = sorted({r["report"].split("/")[0] for r in reports})
    return sorted(random.Random(SEED).sample(councils, HELD_OUT_COUNCILS))


def draw_eval(reports: list[dict], n: int) -> list[Sentence]:
    """The held-out sample as it was drawn for hand labelling (5+ words, fixed seeds)."""
    held = set(held_out_councils(reports))
    pool = finding_sentences([r for r in reports if r["report"].split("/")[0] in held], min_words=5)
    return random.Random(EVAL_SEED).sample(pool, n)


# --- labels --------------------------------------------------------------------------------------


def weak_labels(reports: list[dict], held: set[str]) -> list[Labelled]:
    """Labels from the reports' structure and grades (see the module docstring)."""
    out = []
    for report in reports:
        council = report["report"].split("/")[0]
        if council in held:
            continue
        for p in report["paragraphs"]:
            if p["boilerplate"]:
                continue
            section, grade = p["section"], None
            if WEAK_SECTION.match(section):
                fixed = "weakness"
            elif STRONG_SECTION.search(section):
                fixed = "strength"
            elif CONTEXT_SECTION.match(section):
                fixed = "context"
            else:
                fixed = None
                key = section_judgement(section)
                grade = report["judgements"].get(key) if key else None
                if not grade:
                    continue
            for text in p["sentences"]:
                if len(_WORDS.findall(text)) < 3:
                    continue
                if fixed:
                    out.append(Labelled(text, fixed, "section", council))
                    continue
                critical = bool(CRITICAL.search(text))
                if grade in ("good", "outstanding") and not critical:
                    out.append(Labelled(text, "strength", "graded", council))
                elif grade in ("requires improvement", "inadequate") and critical:
                    out.append(Labelled(text, "weakness", "graded", council))
    return out


def read_labelled(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def hand_labels(rows: list[dict]) -> list[Labelled]:
    return [Labelled(r["sentence"], r["label"], "hand", r["report"].split("/")[0]) for r in rows]


# --- sentence vectors (the teacher's features) ----------------------------------------------------


class Vectors:
    """MiniLM vectors of sentences, computed once and cached by text hash."""

    def __init__(self, cache: Path | None) -> None:
        self.cache = cache / "vectors.npz" if cache else None
        self.rows: dict[str, int] = {}
        self.matrix = np.zeros((0, 384), np.float32)
        if self.cache and self.cache.exists():
            data = np.load(self.cache, allow_pickle=False)
            self.rows = {h: i for i, h in enumerate(data["keys"].tolist())}
            self.matrix = data["vectors"]
        self._embedder = None

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = sorted({t for t in texts if self._key(t) not in self.rows})
        if missing:
            if self._embedder is None:
                from findings.embedding import load_embedder

                self._embedder = load_embedder()
            print(f"  embedding {len(missing)} sentences", file=sys.stderr)
            new = np.vstack([self._embedder.encode(missing[i : i + 2000]) for i in range(0, len(missing), 2000)])
            for t in missing:
                self.rows[self._key(t)] = len(self.rows)
            self.matrix = np.vstack([self.matrix, new.astype(np.float32)])
            if self.cache:
                keys = sorted(self.rows, key=self.rows.get)
                np.savez(self.cache, keys=np.array(keys), vectors=self.matrix)
        return self.matrix[[self.rows[self._key(t)] for t in texts]]


# --- models --------------------------------------------------------------------------------------


def _logistic(**kw):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000, **kw)


def _vectoriser():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=functools.partial(features, ngrams=NGRAMS), sublinear_tf=True, min_df=MIN_DF, dtype=np.float64
    )


def _weight(x: Labelled) -> float:
    return {"hand": HAND_WEIGHT, "section": SECTION_WEIGHT}.get(x.source, 1.0)


def train_teacher(labelled: list[Labelled], vectors: Vectors):
    weights = [_weight(x) for x in labelled]
    return _logistic(class_weight="balanced").fit(
        vectors([x.text for x in labelled]), [x.label for x in labelled], sample_weight=weights
    )


def train_student(pool: list[str], teacher, vectors: Vectors, labelled: list[Labelled]):
    """TF-IDF + logistic regression on the teacher's soft labels of `pool`, plus the section and
    hand labels of `labelled`; returns (vectoriser, classifier)."""
    texts, labels, weights = [], [], []
    if teacher is not None:
        probs = teacher.predict_proba(vectors(pool))
        for text, row in zip(pool, probs, strict=True):
            for label, p in zip(teacher.classes_, row, strict=True):
                if p >= SOFT_FLOOR:
                    texts.append(text)
                    labels.append(label)
                    weights.append(float(p))
    for x in labelled:
        if teacher is None or x.source in ("section", "hand"):
            texts.append(x.text)
            labels.append(x.label)
            weights.append(_weight(x))
    vectoriser = _vectoriser()
    matrix = vectoriser.fit_transform(texts)
    kw = {} if teacher is not None else {"class_weight": "balanced"}
    return vectoriser, _logistic(**kw).fit(matrix, labels, sample_weight=weights)


def export(vectoriser, classifier, path: Path, trained: dict) -> None:
    """The student as plain JSON for findings.tagging (weights rounded to 5 decimals)."""
    order = [list(classifier.classes_).index(t) for t in TAGS]
    vocabulary = sorted(vectoriser.vocabulary_, key=vectoriser.vocabulary_.get)
    coef = classifier.coef_[order].T
    raw = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "labels": list(TAGS),
        "ngrams": NGRAMS,
        "sublinear_tf": True,
        "trained": trained,
        "bias": [round(float(b), 5) for b in classifier.intercept_[order]],
        "vocabulary": vocabulary,
        "idf": [round(float(v), 5) for v in vectoriser.idf_],
        "weights": [[round(float(v), 5) for v in row] for row in coef],
    }
    path.write_text(json.dumps(raw, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")


# --- evaluation ----------------------------------------------------------------------------------


@dataclass
class Scores:
    name: str
    matrix: list[list[int]]  # rows: truth, columns: prediction, in TAGS order

    @classmethod
    def of(cls, name: str, truth: list[str], predicted: list[str]) -> Scores:
        m = [[0] * len(TAGS) for _ in TAGS]
        for t, p in zip(truth, predicted, strict=True):
            m[TAGS.index(t)][TAGS.index(p)] += 1
        return cls(name, m)

    @property
    def accuracy(self) -> float:
        return sum(self.matrix[i][i] for i in range(len(TAGS))) / sum(map(sum, self.matrix))

    def precision(self, i: int) -> float:
        column = sum(row[i] for row in self.matrix)
        return self.matrix[i][i] / column if column else 0.0

    def recall(self, i: int) -> float:
        return self.matrix[i][i] / (sum(self.matrix[i]) or 1)

    def table(self) -> str:
        lines = [
            f"{self.name}: accuracy {self.accuracy:.3f} ({sum(self.matrix[i][i] for i in range(3))}"
            f"/{sum(map(sum, self.matrix))})",
            "",
            "| | precision | recall | sentences |",
            "| --- | --- | --- | --- |",
        ]
        for i, tag in enumerate(TAGS):
            lines.append(f"| {tag} | {self.precision(i):.3f} | {self.recall(i):.3f} | {sum(self.matrix[i])} |")
        lines += ["", "| truth \\ predicted | " + " | ".join(TAGS) + " |", "| --- |" + " --- |" * len(TAGS)]
        for i, tag in enumerate(TAGS):
            lines.append(f"| {tag} | " + " | ".join(str(v) for v in self.matrix[i]) + " |")
        return "\n".join(lines)

    def line(self) -> str:
        w = TAGS.index("weakness")
        return (
            f"{self.name:44s} accuracy {self.accuracy:.3f}  weakness recall {self.recall(w):.3f}"
            f"  precision {self.precision(w):.3f}  {self.matrix}"
        )


def compare(weak: list[Labelled], hand: list[Labelled], pool: list[Sentence], vectors: Vectors) -> None:
    """5-fold cross-validation by council on the hand-labelled training sentences; each fold
    trains on the weak labels and hand labels of the other councils only."""
    from sklearn.model_selection import GroupKFold

    names = ("TF-IDF LR on weak + hand (shipped)", "MiniLM LR on weak + hand (teacher)", "TF-IDF LR distilled")
    truth: list[str] = []
    predicted: dict[str, list[str]] = {n: [] for n in names}
    groups = [x.council for x in hand]
    for fold, (train, test) in enumerate(GroupKFold(5).split(hand, groups=groups), 1):
        out = {groups[i] for i in test}
        labelled = [x for x in weak if x.council not in out] + [hand[i] for i in train]
        tests = [hand[i].text for i in test]
        truth += [hand[i].label for i in test]
        vec, clf = train_student([], None, vectors, labelled)
        predicted[names[0]] += list(clf.predict(vec.transform(tests)))
        teacher = train_teacher(labelled, vectors)
        predicted[names[1]] += list(teacher.predict(vectors(tests)))
        vec, clf = train_student([s.text for s in pool if s.council not in out], teacher, vectors, labelled)
        predicted[names[2]] += list(clf.predict(vec.transform(tests)))
        print(f"  fold {fold} done", file=sys.stderr)
    print("\nCross-validation on the hand-labelled training sentences (5 folds by council):")
    for name in names:
        print(Scores.of(name, truth, predicted[name]).line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, help="folder to keep the parsed corpus and sentence vectors in")
    parser.add_argument("--compare", action="store_true", help="cross-validate the alternatives first")
    parser.add_argument("--draw-eval", type=int, metavar="N", help="print the held-out sample of N and stop")
    parser.add_argument("--no-teacher", action="store_true", help="skip the MiniLM alternatives (no vectors)")
    parser.add_argument("--out", type=Path, default=DATA / MODEL_FILE)
    args = parser.parse_args()

    reports = read_corpus(args.corpus, args.cache)
    if args.draw_eval:
        for s in draw_eval(reports, args.draw_eval):
            print(json.dumps(asdict(s), ensure_ascii=False))
        return
    eval_rows = read_labelled(EVAL_FILE)
    held = {r["report"].split("/")[0] for r in eval_rows}
    train_rows = read_labelled(TRAIN_FILE)
    assert not held & {r["report"].split("/")[0] for r in train_rows}, "a hand-labelled training report is held out"
    weak = weak_labels(reports, held)
    hand = hand_labels(train_rows)
    pool = finding_sentences([r for r in reports if r["report"].split("/")[0] not in held], min_words=3)
    print(
        f"held out: {len(eval_rows)} hand-labelled sentences from {len({r['report'] for r in eval_rows})} reports"
        f" of {len(held)} councils\nweak labels: {dict(Counter((x.label, x.source) for x in weak))}\n"
        f"hand labels: {dict(Counter(x.label for x in hand))}; sentences for the teacher to label: {len(pool)}"
    )
    vectors = Vectors(args.cache)
    if args.compare:
        compare(weak, hand, pool, vectors)

    labelled = weak + hand
    vectoriser, student = train_student([], None, vectors, labelled)
    trained = {
        "method": "TF-IDF word 1-2-grams + logistic regression on weak and hand labels",
        "weak_labels": len(weak), "hand_labels": len(hand),
        "held_out_councils": sorted(held), "ngrams": NGRAMS, "min_df": MIN_DF, "C": C,
    }  # fmt: skip
    export(vectoriser, student, args.out, trained)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(vectoriser.vocabulary_)} features)")

    texts = [r["sentence"] for r in eval_rows]
    truth = [r["label"] for r in eval_rows]
    model = TagModel(json.loads(args.out.read_text(encoding="utf-8")))
    shipped = [model.tag(t) for t in texts]
    oracle = student.predict_proba(vectoriser.transform(texts))
    order = [list(student.classes_).index(t) for t in TAGS]
    drift = max(
        abs(model.probabilities(model.vector(t)[0])[k] - oracle[n][order[k]])
        for n, t in enumerate(texts)
        for k in range(len(TAGS))
    )
    print(f"findings.tagging against scikit-learn: largest probability difference {drift:.1e}")
    results = [Scores.of("shipped: TF-IDF LR (findings.tagging)", truth, [t.label for t in shipped])]
    if not args.no_teacher:
        teacher = train_teacher(labelled, vectors)
        distilled_vec, distilled = train_student([s.text for s in pool], teacher, vectors, labelled)
        results += [
            Scores.of("MiniLM LR on weak + hand (teacher)", truth, list(teacher.predict(vectors(texts)))),
            Scores.of("TF-IDF LR distilled from the teacher", truth,
                      list(distilled.predict(distilled_vec.transform(texts)))),
        ]  # fmt: skip
    print("\nHeld-out evaluation:")
    for s in results:
        print(s.line())
    print("\n" + results[0].table())
    started = time.perf_counter()
    for t in texts * 5:
        model.tag(t)
    rate = 5 * len(texts) / (time.perf_counter() - started)
    print(f"\nspeed: {rate:.0f} sentences a second (one core, with reasons)")


if __name__ == "__main__":
    main()
