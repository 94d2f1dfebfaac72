"""English councils with children's services: names, regions and statistical neighbours.

The table is `data/councils.csv`, a trimmed copy of the corpus `la_lookup.csv` (one row per local
authority: URN, old and new LA codes, ONS name, other names, region, LA type and the ten
statistical neighbours by old LA code).  The ONS name is the canonical name everywhere in
`findings`; `canonical_authority` maps the spellings reports use ("Kingston upon Hull City
Council", "London Borough of Merton", "Bristol, City of") onto it.  The short forms Ofsted and
councils write ("Newcastle", "Kingston", "County Durham", "St Helens", "BCP", "London
Corporation") are in the table's `also_known_as` column, so each council's names are in one place.

Four rows are predecessor councils (Bournemouth, Cumbria, Northamptonshire, Poole) kept so that
old reports still resolve; they have no statistical neighbours and `Council.current` is False.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

logger = logging.getLogger(__name__)

# Places whose names contain a council's name but are not that council: they are matched (and
# give no council) so that the shorter name inside them is not ("Newcastle-under-Lyme" is a
# district of Staffordshire, not Newcastle upon Tyne).
_NOT_COUNCILS = ("Newcastle-under-Lyme",)

# Words councils put around their place name; stripped one at a time until a name matches.
_PREFIXES = (
    "the ",
    "london borough of ",
    "royal borough of ",
    "metropolitan borough of ",
    "borough of ",
    "city and county of ",
    "city of ",
    "county of ",
    "council of the ",
    "council of ",
)
_SUFFIXES = (
    " children and families trust",
    " childrens services",
    " childrens trust",
    " local authority",
    " council",
    " corporation",
    " metropolitan",
    " district",
    " borough",
    " county",
    " city",
    " unitary authority",
    " city of",
    " county of",
    " area",
)


@dataclass(frozen=True)
class Council:
    """One local authority; `stat_neighbours` are canonical names, most similar first."""

    name: str
    region: str
    la_code: str
    la_code_new: str
    urn: str
    la_type: str
    also_known_as: tuple[str, ...] = ()
    stat_neighbours: tuple[str, ...] = ()

    @property
    def current(self) -> bool:
        """False for predecessor councils (Bournemouth, Cumbria, ...): they have no neighbours."""
        return bool(self.stat_neighbours)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the table knows it by: the ONS name, then the other names."""
        return (self.name, *self.also_known_as)


def normalise_name(text: str) -> str:
    """Lower-case, '&' as 'and', no punctuation, hyphens as spaces, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[’'`.,()]", "", text)
    text = re.sub(r"[-–‑\s]+", " ", text)
    return text.strip()


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, Council], dict[str, str]]:
    """(canonical name -> Council, normalised alias -> canonical name), loaded once."""
    path = files("findings") / "data" / "councils.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_code = {row["la_code"]: row["name"] for row in rows}
    councils: dict[str, Council] = {}
    for row in rows:
        neighbours = []
        for code in row["stat_neighbours"].split():
            if code in by_code:
                neighbours.append(by_code[code])
            else:
                logger.warning("council %s: unknown neighbour LA code %s", row["name"], code)
        aka = tuple(a.strip() for a in row["also_known_as"].split(";") if a.strip())
        councils[row["name"]] = Council(
            name=row["name"],
            region=row["region"],
            la_code=row["la_code"],
            la_code_new=row["la_code_new"],
            urn=row["urn"],
            la_type=row["la_type"],
            also_known_as=aka,
            stat_neighbours=tuple(neighbours),
        )
    aliases: dict[str, str] = {}
    for council in councils.values():
        for spelling in council.names:
            for form in _forms(spelling):
                if aliases.setdefault(form, council.name) != council.name:
                    logger.warning("'%s' names both %s and %s", form, aliases[form], council.name)
    for place in _NOT_COUNCILS:
        aliases[normalise_name(place)] = ""
    return councils, aliases


def _forms(spelling: str) -> list[str]:
    """A name and its inverted forms: 'Bristol, City of' -> 'bristol city of', 'city of bristol'."""
    norm = normalise_name(spelling)
    forms = [norm]
    match = re.fullmatch(r"(.+?),\s*((?:city|county) of)", spelling.strip(), re.IGNORECASE)
    if match:
        base = normalise_name(match.group(1))
        forms += [base, f"{match.group(2).lower()} {base}"]
    return forms


def all_councils() -> list[Council]:
    """Every council in the table, in alphabetical order of canonical name."""
    return sorted(_table()[0].values(), key=lambda c: c.name)


def canonical_authority(text: str) -> str | None:
    """The ONS name for a council's name as written anywhere, or None if it is not one.

    >>> canonical_authority("Royal Borough of Kingston upon Thames")
    'Kingston upon Thames'
    """
    _, aliases = _table()
    name = normalise_name(text)
    while name:
        if name in aliases:
            return aliases[name] or None
        shorter = _strip_once(name)
        if shorter == name:
            return None
        name = shorter
    return None


def _strip_once(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :].strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)].strip()
    return name


@lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern[str]:
    _, aliases = _table()
    forms = sorted(aliases, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(word) for word in form.split()) for form in forms)
    return re.compile(rf"\b(?:{body})\b", re.IGNORECASE)


def _text_for_search(text: str) -> str:
    """Like normalise_name but keeps letter case, so 'Reading' the town differs from 'reading'."""
    text = unicodedata.normalize("NFKC", text).replace("&", " and ")
    text = re.sub(r"[’'`.,()]", "", text)
    return re.sub(r"[-–‑\s]+", " ", text)


def find_authority_in_text(text: str, require_capital: bool = True) -> str | None:
    """The council whose name, as written, is the longest found in `text` (first on a tie)."""
    best: tuple[int, str] | None = None
    search_text = _text_for_search(text)
    _, aliases = _table()
    for match in _name_pattern().finditer(search_text):
        if require_capital and not match.group(0)[0].isupper():
            continue
        named = aliases[normalise_name(match.group(0))]
        if named and (best is None or len(match.group(0)) > best[0]):
            best = (len(match.group(0)), named)
    return best[1] if best else None


def council(name: str) -> Council:
    """The council for any spelling of its name; ValueError with suggestions if unknown."""
    councils, aliases = _table()
    canonical = canonical_authority(name)
    if canonical is None:
        guesses = difflib.get_close_matches(normalise_name(name), list(aliases), n=3, cutoff=0.6)
        names = list(dict.fromkeys(aliases[g] for g in guesses if aliases[g]))
        hint = f" Did you mean {' or '.join(repr(n) for n in names)}?" if names else ""
        raise ValueError(f"Unknown council '{name}'.{hint}")
    return councils[canonical]


def statistical_neighbours(name: str) -> list[str]:
    """The council's ten statistical neighbours (canonical names), most similar first."""
    return list(council(name).stat_neighbours)


def same_region(name: str) -> list[str]:
    """The other current councils in the same ONS region, alphabetically."""
    home = council(name)
    return [
        c.name
        for c in all_councils()
        if c.region == home.region and c.name != home.name and c.current
    ]
