"""The glossary of the field: acronyms, terms and everyday words, and the report wording for them.

A query is expanded with it before both retrievers: "kids who run away from care" is also
searched as "children ... missing from home or care", "LADO" also as "local authority designated
officer" (and the long form also as the acronym).  The shipped glossary is
`data/glossary.json` (built and cited by `bench/build_glossary.py` from a hand-checked list and
the corpus); a user adds entries in `glossary.txt` in the index folder (`findings glossary add`),
one a line:

    kids => children | young people

Expansion never recurses (a meaning is not expanded again), so a cycle cannot run away; a
malformed, duplicated, circular, oversized or markup-laden user line is reported in one
sentence and left out, and the rest loads.  Two-letter acronyms (PA, CP, SW) expand only when
typed in capitals, so everyday words are not mistaken for them.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

logger = logging.getLogger(__name__)

USER_FILE = "glossary.txt"
# Kinds expanded unless switched off; a "term" (report vocabulary with other report words for
# it) is only offered, since on the development set expanding report wording with more report
# wording cost queries in report wording more than it gained (docs/search.md).
EXPANDED_BY_DEFAULT = frozenset({"acronym", "acronym-of", "everyday", "yours"})
MAX_TERMS = 8  # glossary matches used for one query
MAX_PHRASES = 24  # alternatives added to one query, in all
MAX_MEANING_CHARS = 200
MAX_MEANINGS = 8
_TOKEN = re.compile(r"[a-z0-9]+(?:['&][a-z0-9]+)*")
_MARKUP = re.compile(r"[<>\[\]{}`*|\\]")


@dataclass(frozen=True)
class Entry:
    """One glossary entry: a phrase and what reports also call it."""

    term: str
    means: tuple[str, ...]
    kind: str  # "acronym", "term", "everyday", "acronym-of" (a long form's acronym) or "yours"
    source: str = ""

    @property
    def case_sensitive(self) -> bool:
        return self.kind == "acronym" and len(self.term.replace(" ", "")) <= 2


@dataclass(frozen=True)
class Expanded:
    """A phrase of the query that the glossary knows, and what else it is searched as."""

    phrase: str  # as typed
    term: str  # the glossary's entry
    means: tuple[str, ...]
    kind: str
    source: str = ""

    @property
    def label(self) -> str:
        return f"{self.phrase} → {', '.join(self.means)}"


@dataclass(frozen=True)
class Expansion:
    """A query with the glossary's additions: the phrases it also searches for."""

    query: str
    terms: tuple[Expanded, ...] = ()  # searched for
    offered: tuple[Expanded, ...] = ()  # known but not searched for: switched off, or a "term"
    notes: tuple[str, ...] = ()  # e.g. the expansion was cut to its first phrases

    @property
    def phrases(self) -> list[str]:
        """Every added phrase, once, for the keyword search."""
        return list(dict.fromkeys(m for t in self.terms for m in t.means))

    @property
    def rewritten(self) -> str:
        """The query in report wording: each known phrase replaced by its first meaning (a long
        form is never shortened to its acronym), for the semantic search, which reads it beside
        the query as typed."""
        text = self.query
        for term in self.terms:
            if term.kind != "acronym-of":
                text = re.sub(re.escape(term.phrase), term.means[0], text, count=1, flags=re.IGNORECASE)
        return text


@dataclass
class Glossary:
    entries: dict[tuple[str, ...], Entry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # one sentence per user line left out

    @classmethod
    def load(cls, index_dir: str | Path | None = None) -> Glossary:
        """The shipped glossary, with the user's entries in `<index_dir>/glossary.txt` on top."""
        glossary = cls(dict(_shipped()))
        if index_dir is not None:
            glossary.add_user_file(Path(index_dir) / USER_FILE)
        return glossary

    def add_user_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"The glossary file {path.name} cannot be read ({exc}); only the shipped one is used.")
            return
        seen: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                entry = parse_line(line)
            except ValueError as exc:
                self.problems.append(f"{path.name} line {number}: {exc}; the line was left out.")
                continue
            key = tokens(entry.term)
            if key in seen:
                self.problems.append(
                    f"{path.name} line {number}: '{entry.term}' is already defined on line {seen[key]}; "
                    "the later line was left out."
                )
                continue
            seen[key] = number
            self.entries[key] = entry
        self._report_cycles(path.name)

    def _report_cycles(self, name: str) -> None:
        users = {k: e for k, e in self.entries.items() if e.kind == "yours"}
        for key, entry in users.items():
            for meaning in entry.means:
                back = users.get(tokens(meaning))
                if back and any(tokens(m) == key for m in back.means) and key < tokens(meaning):
                    self.problems.append(
                        f"{name}: '{entry.term}' and '{back.term}' mean each other; both are kept, "
                        "and neither is expanded twice."
                    )

    def expand(self, query: str, disabled: Iterable[str] = (), enabled: Iterable[str] = ()) -> Expansion:
        """The glossary phrases in a query (longest first, not overlapping).  Entries of the
        kinds in EXPANDED_BY_DEFAULT are searched for unless named in `disabled`; the others
        only when named in `enabled`; the rest are `offered`."""
        off = {t.lower() for t in disabled}
        on = {t.lower() for t in enabled}
        words = list(_spans(query))
        found: list[Expanded] = []
        offered: list[Expanded] = []
        i, longest = 0, max((len(k) for k in self.entries), default=0)
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                key = tuple(w for w, _, _ in words[i : i + size])
                entry = self.entries.get(key)
                if entry is None:
                    continue
                start, end = words[i][1], words[i + size - 1][2]
                typed = query[start:end]
                if entry.case_sensitive and typed != entry.term:
                    continue
                expanded = Expanded(typed, entry.term, entry.means, entry.kind, entry.source)
                name = entry.term.lower()
                default = entry.kind in EXPANDED_BY_DEFAULT
                (found if (default and name not in off) or (not default and name in on) else offered).append(expanded)
                i += size - 1
                break
            i += 1
        return replace(_capped(query, found), offered=tuple(offered))

    def expanded_phrases(self) -> list[str]:
        """Every phrase a query may be expanded by without naming an entry (the meanings of the
        entries expanded by default), once each."""
        return list(dict.fromkeys(m for e in self.entries.values() if e.kind in EXPANDED_BY_DEFAULT for m in e.means))

    def export_user_line(self, term: str, means: Sequence[str]) -> str:
        """The line `findings glossary add` writes (checked as a user line is)."""
        line = f"{term} => {' | '.join(means)}"
        parse_line(line)
        return line


def _capped(query: str, found: list[Expanded]) -> Expansion:
    notes = []
    if len(found) > MAX_TERMS:
        notes.append(f"The glossary knows {len(found)} phrases of this query; the first {MAX_TERMS} were expanded.")
        found = found[:MAX_TERMS]
    kept, total = [], 0
    for term in found:
        room = MAX_PHRASES - total
        if room <= 0:
            notes.append(f"The expansion was cut to {MAX_PHRASES} added phrases, to keep the query focused.")
            break
        kept.append(Expanded(term.phrase, term.term, term.means[:room], term.kind, term.source))
        total += len(kept[-1].means)
    return Expansion(query, tuple(kept), notes=tuple(notes))


def add_user_entry(index_dir: Path, phrase: str, means: Sequence[str]) -> str:
    """Add or replace the user's entry for `phrase` in `<index_dir>/glossary.txt`; returns the
    line written.  QueryError with one sentence when the entry cannot be used."""
    from findings.errors import QueryError
    from findings.files import atomic_write

    line = f"{' '.join(phrase.split())} => {' | '.join(' '.join(m.split()) for m in means)}"
    try:
        entry = parse_line(line)
    except ValueError as exc:
        raise QueryError(f"that glossary entry cannot be used: {exc}") from exc
    path = Path(index_dir) / USER_FILE
    kept = [old for old in _user_lines(path) if _line_key(old) != tokens(entry.term)]
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, ("\n".join([*kept, line]) + "\n").encode("utf-8"))
    return line


def remove_user_entry(index_dir: Path, phrase: str) -> bool:
    """Remove the user's entry for `phrase`; False when there was none."""
    from findings.files import atomic_write

    path = Path(index_dir) / USER_FILE
    lines = _user_lines(path)
    kept = [line for line in lines if _line_key(line) != tokens(phrase)]
    if len(kept) == len(lines):
        return False
    atomic_write(path, ("\n".join(kept) + "\n").encode("utf-8"))
    return True


def _user_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ["# Your glossary: one entry a line, \"phrase => meaning | another meaning\"."]


def _line_key(line: str) -> tuple[str, ...] | None:
    if line.lstrip().startswith("#") or "=>" not in line:
        return None
    return tokens(line.partition("=>")[0])


def parse_line(line: str) -> Entry:
    """A user line "phrase => meaning | meaning"; ValueError with the reason if unusable."""
    if "=>" not in line:
        raise ValueError("it has no '=>' between a phrase and what it means")
    term, _, rest = line.partition("=>")
    term = " ".join(term.split())
    means = tuple(dict.fromkeys(" ".join(m.split()) for m in rest.split("|") if m.strip()))
    if not term or not means:
        raise ValueError("it needs a phrase before '=>' and a meaning after it")
    if _MARKUP.search(term) or any(_MARKUP.search(m) for m in means):
        raise ValueError("glossary entries are plain words, without < > [ ] { } ` * or \\")
    if any(unicodedata.category(ch).startswith("C") for ch in term + "".join(means)):
        raise ValueError("it holds control characters")
    if len(means) > MAX_MEANINGS or any(len(m) > MAX_MEANING_CHARS for m in means):
        raise ValueError(f"it would make queries enormous: at most {MAX_MEANINGS} meanings of "
                         f"{MAX_MEANING_CHARS} characters each")
    if not tokens(term):
        raise ValueError("the phrase has no words")
    return Entry(term, means, "yours", "your glossary.txt")


def tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w, _, _ in _spans(text))


def _spans(text: str) -> Iterable[tuple[str, int, int]]:
    """The words of the text as glossary keys, with their offsets: lower case, curly
    apostrophes read as straight, a plural's final s dropped ("thresholds" finds "threshold")."""
    folded = unicodedata.normalize("NFKC", text).replace("’", "'").lower()
    for match in _TOKEN.finditer(folded):
        yield _singular(match.group(0)), match.start(), match.end()


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[tuple[str, ...], Entry], ...]:
    """The packaged glossary, by the words of each term; acronyms are also found by their long
    form (which is then also searched as the acronym)."""
    path = resources.files("findings") / "data" / "glossary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entries: dict[tuple[str, ...], Entry] = {}
    for row in data["entries"]:
        entry = Entry(row["term"], tuple(row["means"]), row["kind"], row.get("source", ""))
        entries.setdefault(tokens(entry.term), entry)
    for entry in list(entries.values()):
        if entry.kind != "acronym" or len(entry.term) < 3:  # "domestic abuse" is not searched as "DA"
            continue
        for meaning in entry.means:
            key = tokens(meaning)
            if key and key not in entries and len(key) > 1:
                entries[key] = Entry(meaning, (entry.term,), "acronym-of", entry.source)
    return tuple(entries.items())
