"""Train the Punkt sentence-splitter parameters on real inspection reports.

    .venv/bin/python bench/train_punkt.py ../shared/corpus/ilacs

Reads the text of every PDF under the given folder (PyMuPDF `page.get_text()`) and the seed
documents in seeds/, removes hard line wraps, trains nltk's `PunktTrainer`, merges the
hand-set abbreviations below, prunes rare entries, and writes
src/findings/data/punkt_params.json (sorted, so the same corpus gives the same file).
The JSON is read back by `findings.sentences`; nothing here is needed at run time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

from nltk.tokenize.punkt import PunktLanguageVars, PunktTrainer

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src" / "findings" / "data" / "punkt_params.json"
FORMAT_VERSION = 1

# Abbreviations Punkt should always know, lower case and without the final period.
HAND_ABBREVIATIONS = (
    "e.g", "i.e", "etc", "cf", "viz", "approx", "incl", "esp", "vs", "al",
    "cllr", "dr", "mr", "mrs", "ms", "prof", "rev", "st", "hon",
    "no", "nos", "para", "paras", "p", "pp", "fig", "vol", "ch", "sect", "ref", "tel",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
)  # fmt: skip
# Not "hmi": reports end sentences with it ("Lead inspector: Helen Cawston HMI.").
# Learnt from one or two sentence ends ("7am to 7pm.", "into their 20s.", "5 A* to Gs.").
NOT_ABBREVIATIONS = frozenset({"7pm", "20s", "gs"})

# An ortho_context entry only matters for a word seen after a period; keep the frequent ones.
MIN_TYPE_COUNT = 3

_SENTENCE_END = re.compile(r"[.!?:;][\"')\]’”]*$")
_BARE_NUMBER = re.compile(r"^\(?\d{1,3}[.)]$")
_WRAPPED_HYPHEN = re.compile(r"(?<=[A-Za-z])-\n(?=[a-z])")
SHORT_LINE = 40


def unwrap(text: str) -> str:
    """Join hard-wrapped lines into paragraphs separated by blank lines.

    A line ends a paragraph when it ends a sentence or is short (a heading, a page number);
    a bare list number such as "7." joins the line after it, as it reads on the page.
    """
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = _WRAPPED_HYPHEN.sub("-", text)
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        current.append(line)
        if _BARE_NUMBER.match(line):
            continue
        if _SENTENCE_END.search(line) or len(line) < SHORT_LINE:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def pdf_text(path: Path) -> str:
    import pymupdf

    with pymupdf.open(str(path)) as document:
        return "\n\n".join(unwrap(page.get_text()) for page in document)


def documents(corpus: Path, seeds: Path) -> list[tuple[str, str]]:
    """(name, unwrapped text) for every corpus PDF and seed document, in a stable order."""
    pymupdf_log_off()
    found = [(str(p.relative_to(corpus)), pdf_text(p)) for p in sorted(corpus.rglob("*.pdf"))]
    for path in sorted(seeds.glob("*")):
        if path.suffix in (".txt", ".md"):
            found.append((path.name, unwrap(path.read_text(encoding="utf-8"))))
    return found


def pymupdf_log_off() -> None:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)


def type_counts(texts: list[str]) -> Counter[str]:
    """How often each lower-cased word type occurs, keyed as Punkt keys ortho_context."""
    words = PunktLanguageVars()
    counts: Counter[str] = Counter()
    for text in texts:
        for token in words.word_tokenize(text):
            counts[token.lower().removesuffix(".")] += 1
    return counts


def train(texts: list[str]) -> dict:
    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = False
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    params = trainer.get_params()

    counts = type_counts(texts)
    learnt = set(params.abbrev_types) - NOT_ABBREVIATIONS
    abbreviations = sorted(learnt | set(HAND_ABBREVIATIONS))
    ortho = {
        word: flags
        for word, flags in params.ortho_context.items()
        if flags and (counts[word] >= MIN_TYPE_COUNT or word in abbreviations)
    }
    return {
        "format_version": FORMAT_VERSION,
        "abbrev_types": abbreviations,
        "learnt_abbrev_types": sorted(learnt),
        "collocations": sorted([a, b] for a, b in params.collocations),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": dict(sorted(ortho.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "corpus", type=Path, help="folder of report PDFs, e.g. ../shared/corpus/ilacs"
    )
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    docs = documents(args.corpus, args.seeds)
    texts = [text for _, text in docs]
    read = time.perf_counter()
    params = train(texts)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(params, indent=0, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    done = time.perf_counter()

    size = args.output.stat().st_size
    print(f"documents        {len(docs)} ({sum(map(len, texts)) / 1e6:.1f} M characters)")
    learnt = len(params["learnt_abbrev_types"])
    print(f"abbreviations    {len(params['abbrev_types'])} ({learnt} learnt)")
    print(f"collocations     {len(params['collocations'])}")
    print(f"sentence starters {len(params['sent_starters'])}")
    print(f"ortho_context    {len(params['ortho_context'])} word types")
    print(f"wrote            {args.output} ({size / 1024:.0f} KB)")
    print(f"time             read {read - started:.1f} s, train {done - read:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
