"""Sentences: split a paragraph into sentences and pick the ones that best match a query.

The splitter is nltk's Punkt with parameters trained on inspection reports and shipped as
plain JSON (data/punkt_params.json, written by bench/train_punkt.py): no nltk data package
is downloaded or loaded.  Text with hard line breaks is normalised first: whitespace runs
become one space, and a line-end hyphen inside a word ("Over-\\noptimism") keeps its hyphen
and loses the break.  `split_sentences` and `best_sentences` return substrings of that
normalised text; `sentence_spans` and `best_spans` give offsets into the text as passed in.
"""

from __future__ import annotations

import functools
import importlib.abc
import itertools
import json
import logging
import re
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING

from findings.vocabulary import STOPWORDS

if TYPE_CHECKING:
    from nltk.stem.porter import PorterStemmer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

logger = logging.getLogger(__name__)

PARAMS_FILE = "punkt_params.json"
PARAMS_FORMAT_VERSION = 1
BIGRAM_BONUS = 0.5  # per adjacent query bigram, against 1 per matched query term
SEMANTIC_WEIGHT = 1.0  # weight of a caller's per-sentence score against the lexical one (0-1)
RELATIVE_CUTOFF = 0.5  # keep a sentence only if it scores at least this share of the best
STRONG_SHARE = 0.9  # beyond k, a sentence is kept only if it scores this share of the best
MAX_SENTENCES = 4

_WRAPPED_HYPHEN = r"(?<=[^\W\d_])-[^\S\n]*\n\s*(?=[a-z])"
_SPACE_OR_WRAP = re.compile(rf"{_WRAPPED_HYPHEN}|\s+")
_WORD = re.compile(r"[^\W_]+")
# A paragraph's own number ("9.", "3.2.", "b."), which Punkt would leave as a sentence.
_LIST_MARKER = re.compile(r"(?:\d{1,3}(?:\.\d{1,3})*|[a-z])\.")


# nltk imported from two threads at once fails ("partially initialized module 'nltk'"): its
# package imports itself in a circle, which Python's per-module import locks do not cover.
_NLTK_LOCK = threading.Lock()


class _NltkWithoutScience(importlib.abc.MetaPathFinder):
    """While nltk is imported, scipy and scikit-learn are missing to nltk's own modules.

    nltk's `__init__` imports them (and pandas through scikit-learn: 1.3 s of its 1.6 s) for
    collocation measures and classifiers findings never uses, and the modules that do import
    them fall back when they are missing (`except ImportError`).  Punkt and the Porter stemmer
    need neither.  An import of them from anywhere but an nltk module, on any thread, goes on
    as usual, and so does everything once nltk is imported."""

    HIDDEN = frozenset({"scipy", "sklearn"})

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname.partition(".")[0] not in self.HIDDEN:
            return None
        frame = sys._getframe(1)
        while frame is not None:  # the module asking, past the import machinery
            asking = frame.f_globals.get("__name__", "")
            if not asking.startswith("importlib") and asking != __name__:
                if asking == "nltk" or asking.startswith("nltk."):
                    raise ModuleNotFoundError(f"{fullname} is left out of nltk's import", name=fullname)
                return None
            frame = frame.f_back
        return None


@contextmanager
def _importing_nltk() -> Iterator[None]:
    """One thread at a time imports nltk, without the scientific stack (`_NltkWithoutScience`)."""
    with _NLTK_LOCK:
        if "nltk" in sys.modules:
            yield
            return
        finder = _NltkWithoutScience()
        sys.meta_path.insert(0, finder)
        try:
            yield
        finally:
            sys.meta_path.remove(finder)


@functools.cache
def _tokenizer() -> PunktSentenceTokenizer:
    """Punkt built from the shipped JSON parameters (never from nltk data)."""
    with _importing_nltk():
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    source = resources.files("findings") / "data" / PARAMS_FILE
    raw = json.loads(source.read_text(encoding="utf-8"))
    if raw.get("format_version") != PARAMS_FORMAT_VERSION:
        raise ValueError(
            f"{PARAMS_FILE} has format version {raw.get('format_version')}, expected "
            f"{PARAMS_FORMAT_VERSION}; regenerate it with bench/train_punkt.py"
        )
    params = PunktParameters()
    params.abbrev_types = set(raw["abbrev_types"])
    params.collocations = {(first, second) for first, second in raw["collocations"]}
    params.sent_starters = set(raw["sent_starters"])
    params.ortho_context = defaultdict(int, raw["ortho_context"])
    logger.debug("Punkt parameters: %d abbreviations", len(params.abbrev_types))
    return PunktSentenceTokenizer(params)


def preload() -> None:
    """Build the sentence splitter and the stemmer on a thread of their own: importing nltk
    takes about a second (it imports scipy.stats and much else), which a process about to
    search or ingest can spend while it loads the vector index or waits for the reader."""
    threading.Thread(target=_build_both, name="findings-nltk-preload", daemon=True).start()


def _build_both() -> None:
    try:
        _tokenizer()
        _stemmer()
    except Exception as exc:  # the caller's own use reports it, in its own thread
        logger.debug("preloading nltk failed: %s", exc)


@functools.cache
def stem(word: str) -> str:
    """Porter stem (nltk's stemmer needs no data package)."""
    return _stemmer().stem(word)


_stem = stem


@functools.cache
def _stemmer() -> PorterStemmer:
    with _importing_nltk():
        from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def normalise(text: str) -> tuple[str, list[int]]:
    """The text with whitespace normalised, and each of its characters' offset in `text`."""
    out: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _SPACE_OR_WRAP.finditer(text):
        out.append(text[position : match.start()])
        offsets.extend(range(position, match.start()))
        if match.group().startswith("-"):
            out.append("-")
            offsets.append(match.start())
        elif match.start() > 0 and match.end() < len(text):
            out.append(" ")
            offsets.append(match.start())
        position = match.end()
    out.append(text[position:])
    offsets.extend(range(position, len(text)))
    return "".join(out), offsets


def _split(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The normalised sentences of `text`, and each one's (start, end) in `text`."""
    sentences, spans = _split_cached(text)
    return list(sentences), list(spans)


@functools.lru_cache(maxsize=8192)
def _split_cached(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    # Cached: Punkt runs through nltk's regex-with-timeout wrapper at about 2 ms a paragraph,
    # and search highlights the same paragraphs again and again (paging, app re-runs).
    normalised, offsets = normalise(text)
    if not normalised:
        return (), ()
    spans = list(_tokenizer().span_tokenize(normalised))
    if len(spans) > 1 and _LIST_MARKER.fullmatch(normalised[slice(*spans[0])]):
        spans[:2] = [(spans[0][0], spans[1][1])]
    sentences = tuple(normalised[start:end] for start, end in spans)
    return sentences, tuple((offsets[start], offsets[end - 1] + 1) for start, end in spans)


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each a substring of its whitespace-normalised form."""
    return _split(text)[0]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text` as passed in, for highlighting in place.

    `text[start:end]` is the sentence with its original line breaks; it matches
    `split_sentences(text)` item for item.
    """
    return _split(text)[1]


def terms(text: str) -> list[str]:
    """Lower-cased, stopword-free, Porter-stemmed words, in order ("over-reliance" is two)."""
    words = _WORD.findall(text.lower())
    return [_stem(word) for word in words if len(word) > 1 and word not in STOPWORDS]


def lexical_score(sentence: str, query: str) -> float:
    """Share of the query matched: 1 per query term present, BIGRAM_BONUS per query bigram
    present as adjacent terms, divided by the most a sentence could score (so 0 to 1)."""
    query_terms = list(dict.fromkeys(terms(query)))
    if not query_terms:
        return 0.0
    query_bigrams = set(itertools.pairwise(query_terms))
    sentence_terms = terms(sentence)
    matched = len(set(query_terms) & set(sentence_terms))
    adjacent = len(query_bigrams & set(itertools.pairwise(sentence_terms)))
    best = len(query_terms) + BIGRAM_BONUS * len(query_bigrams)
    return (matched + BIGRAM_BONUS * adjacent) / best


def _best_indices(
    sentences: Sequence[str], query: str, k: int, sentence_scores: Sequence[float] | None
) -> list[int]:
    if not sentences:
        return []
    if sentence_scores is not None and len(sentence_scores) != len(sentences):
        raise ValueError(
            f"sentence_scores has {len(sentence_scores)} values for {len(sentences)} sentences"
        )
    scores = [lexical_score(sentence, query) for sentence in sentences]
    if sentence_scores is not None:
        scores = [
            s + SEMANTIC_WEIGHT * float(extra)
            for s, extra in zip(scores, sentence_scores, strict=True)
        ]
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    top = scores[ranked[0]]
    chosen = [i for i in ranked[: max(k, 1)] if scores[i] > 0 and scores[i] >= RELATIVE_CUTOFF * top]
    chosen += [i for i in ranked[max(k, 1) : MAX_SENTENCES] if scores[i] > 0 and scores[i] >= STRONG_SHARE * top]
    return sorted(chosen) or [0]


def best_sentences(
    text: str, query: str, k: int = 2, sentence_scores: Sequence[float] | None = None
) -> tuple[str, ...]:
    """The one to `k` sentences of `text` that best match `query`, in document order, and
    up to MAX_SENTENCES when more match as strongly (within STRONG_SHARE of the best).

    Scores are lexical (see `lexical_score`) plus, when given, one caller score per sentence of
    `split_sentences(text)` (say, the cosine between query and sentence embeddings).  Only
    sentences with a positive score within RELATIVE_CUTOFF of the best are returned; when
    none qualifies, the first sentence is.  Empty text gives ().
    """
    sentences = split_sentences(text)
    return tuple(sentences[i] for i in _best_indices(sentences, query, k, sentence_scores))


def best_spans(
    text: str, query: str, k: int = 2, sentence_scores: Sequence[float] | None = None
) -> list[tuple[int, int]]:
    """`best_sentences` as (start, end) offsets into `text`, for highlighting in place."""
    sentences, spans = _split(text)
    return [spans[i] for i in _best_indices(sentences, query, k, sentence_scores)]
