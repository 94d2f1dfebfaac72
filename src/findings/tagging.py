"""Strength, area for improvement or context: a tag for every finding sentence and paragraph.

The tagger is a linear model over word n-grams (TF-IDF, then multinomial logistic regression)
trained by bench/tagging.py on the corpus's own structure and on hand-labelled sentences (see
docs/tagging.md).  Because it is linear, the reason for a tag is exact: the n-grams of the
sentence that push it most towards its label, shown as the sentence's own words ("not always",
"too long", "speak highly").

The model ships as plain JSON (data/tagging_model.json): vocabulary, idf, weights and biases.
It is read once, lazily, with no scikit-learn, pickle or network; `features` below is the one
tokeniser, used both here and by the training script, so the two cannot drift apart.

    >>> tag_sentence("Care leavers speak highly of their personal advisers.").label
    'strength'
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources

from findings.sentences import split_sentences
from findings.vocabulary import STOPWORDS

logger = logging.getLogger(__name__)

TAGS: tuple[str, ...] = ("strength", "weakness", "context")  # weakness = area for improvement
MODEL_FILE = "tagging_model.json"
MODEL_FORMAT = "findings-tagging"
MODEL_FORMAT_VERSION = 1
MAX_REASONS = 3
# A paragraph is a weakness when one of its sentences is a weakness at least this sure.
PARAGRAPH_WEAKNESS_CONFIDENCE = 0.5

_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?|\d[\d,]*(?:\.\d+)?%?")
_YEAR = re.compile(r"(?:19|20)\d\d$")
# Words that carry a finding although they are stopwords for search.
_CUE_STOPWORDS = frozenset({"not", "no", "nor", "too", "but", "only", "all", "more", "few"})


@dataclass(frozen=True)
class Tag:
    """A tag, how sure the model is (its probability, 0-1), and the sentence's words that
    decided it, strongest first (empty when nothing in the sentence stands out)."""

    label: str
    confidence: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Token:
    term: str
    start: int
    end: int


def tokens(text: str) -> list[_Token]:
    """The words of `text`, lower case, with their offsets.  A number becomes "#num", "#year"
    or "#pct" (the figure does not matter, that there is one does); "n't" becomes "not"
    ("haven't" -> "not"); a possessive loses its "'s"; single letters are dropped."""
    out = []
    for match in _TOKEN.finditer(text):
        word = match.group().lower().replace("’", "'")
        if word[0].isdigit():
            term = "#pct" if word.endswith("%") else "#year" if _YEAR.match(word) else "#num"
        elif word.endswith("n't"):
            term = "not"
        else:
            term = word.split("'")[0]
            if len(term) < 2:
                continue
        out.append(_Token(term, match.start(), match.end()))
    return out


def features(text: str, ngrams: int = 2) -> list[str]:
    """The n-gram features of `text` (1 to `ngrams` words), as the model sees them."""
    return [feature for feature, _, _ in _features_with_spans(text, ngrams)]


def _features_with_spans(text: str, ngrams: int) -> list[tuple[str, int, int]]:
    words = tokens(text)
    out = []
    for n in range(1, ngrams + 1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            out.append((" ".join(t.term for t in gram), gram[0].start, gram[-1].end))
    return out


class TagModel:
    """The shipped linear model: TF-IDF weighting, then one weight per class and feature."""

    def __init__(self, raw: dict) -> None:
        if raw.get("format") != MODEL_FORMAT or raw.get("format_version") != MODEL_FORMAT_VERSION:
            raise ValueError(
                f"{MODEL_FILE} is not a version-{MODEL_FORMAT_VERSION} tagging model; "
                "rebuild it with bench/tagging.py"
            )
        self.labels: tuple[str, ...] = tuple(raw["labels"])
        self.ngrams: int = int(raw["ngrams"])
        self.sublinear_tf: bool = bool(raw["sublinear_tf"])
        self.index: dict[str, int] = {term: i for i, term in enumerate(raw["vocabulary"])}
        self.idf: list[float] = raw["idf"]
        self.weights: list[list[float]] = raw["weights"]  # one row per feature, one column per label
        self.bias: list[float] = raw["bias"]
        self.trained: dict = raw.get("trained", {})

    def vector(self, text: str) -> tuple[dict[int, float], dict[int, list[tuple[int, int]]]]:
        """The sentence's TF-IDF vector (feature index -> value, unit length) and where in the
        text each feature occurs."""
        counts: Counter[int] = Counter()
        spans: dict[int, list[tuple[int, int]]] = {}
        for feature, start, end in _features_with_spans(text, self.ngrams):
            i = self.index.get(feature)
            if i is not None:
                counts[i] += 1
                spans.setdefault(i, []).append((start, end))
        values = {
            i: ((1.0 + math.log(c)) if self.sublinear_tf else float(c)) * self.idf[i] for i, c in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        return {i: v / norm for i, v in values.items()}, spans

    def probabilities(self, vector: dict[int, float]) -> list[float]:
        scores = list(self.bias)
        for i, value in vector.items():
            row = self.weights[i]
            for k in range(len(scores)):
                scores[k] += row[k] * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def tag(self, text: str, reasons: bool = True) -> Tag:
        vector, spans = self.vector(text)
        probs = self.probabilities(vector)
        k = max(range(len(probs)), key=probs.__getitem__)
        return Tag(self.labels[k], probs[k], self._reasons(text, vector, spans, k) if reasons else ())

    def _reasons(
        self, text: str, vector: dict[int, float], spans: dict[int, list[tuple[int, int]]], k: int
    ) -> tuple[str, ...]:
        """The strongest evidence for class k: each n-gram's pull towards k (its value times its
        weight for k less its mean weight for the other classes), strongest first, skipping an
        n-gram that overlaps one already chosen; shown as the words it covers, with chosen
        n-grams that stand next to each other joined into one phrase ("not" + "always")."""
        others = [j for j in range(len(self.labels)) if j != k]
        pulls = []
        for i, value in vector.items():
            row = self.weights[i]
            pull = value * (row[k] - sum(row[j] for j in others) / len(others))
            if pull > 0:
                pulls += [(pull, start, end) for start, end in spans[i] if _is_content(text[start:end])]
        chosen: list[tuple[int, int]] = []
        for _, start, end in sorted(pulls, reverse=True):
            if all(end <= s or start >= e for s, e in chosen):
                chosen.append((start, end))
                if len(chosen) == MAX_REASONS:
                    break
        phrases: list[list[int]] = []  # [start, end, rank of its strongest part]
        for rank, (start, end) in sorted(enumerate(chosen), key=lambda c: c[1]):
            if phrases and not text[phrases[-1][1] : start].strip():
                phrases[-1][1] = end
                phrases[-1][2] = min(phrases[-1][2], rank)
            else:
                phrases.append([start, end, rank])
        return tuple(text[start:end] for start, end, _ in sorted(phrases, key=lambda p: p[2]))


def _is_content(phrase: str) -> bool:
    """A phrase worth showing as a reason: not made only of words like "the" or "of"."""
    return any(t.term in _CUE_STOPWORDS or t.term not in STOPWORDS for t in tokens(phrase))


@functools.cache
def load_model() -> TagModel:
    """The shipped model, read once (no network, no pickle)."""
    source = resources.files("findings") / "data" / MODEL_FILE
    model = TagModel(json.loads(source.read_text(encoding="utf-8")))
    logger.debug("tagging model: %d features", len(model.index))
    return model


def tag_sentence(text: str, reasons: bool = True) -> Tag:
    """Strength, weakness (area for improvement) or context for one sentence, with the words
    that decided it (left out with `reasons=False`, which is faster: ingest tags that way)."""
    return load_model().tag(text, reasons)


def tag_paragraph(text: str, reasons: bool = True) -> Tag:
    """One tag for a paragraph, from its sentences.

    The rule: a paragraph is a weakness if any of its sentences is a weakness with confidence
    of at least PARAGRAPH_WEAKNESS_CONFIDENCE, and then carries that sentence's reasons (the
    most confident such sentence).  Otherwise it is a strength if any sentence is a strength
    (the most confident one gives the reasons), and context only if every sentence is context.
    Why: Ofsted paragraphs usually praise first and then qualify ("However, ..."), and a user
    looking for areas for improvement must not miss the qualification, in the same way as a
    mixed sentence is labelled a weakness; a paragraph with a single judging sentence among
    facts is a finding, not background.
    """
    tags = [tag_sentence(sentence, reasons) for sentence in split_sentences(text)] or [tag_sentence(text, reasons)]
    for label in ("weakness", "strength"):
        floor = PARAGRAPH_WEAKNESS_CONFIDENCE if label == "weakness" else 0.0
        candidates = [t for t in tags if t.label == label and t.confidence >= floor]
        if candidates:
            return max(candidates, key=lambda t: t.confidence)
    return max(tags, key=lambda t: t.confidence)
