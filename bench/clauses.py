"""How clause vectors are made, against time and dev-set quality; prints a line, changes nothing.

    .venv/bin/python bench/clauses.py --index /tmp/devindex [--read-alone N] [--backend B]

Copies the index (built from the dev set's 36 reports: `bench/bench.py --devset-reports
--keep DIR`), drops its vectors, embeds every paragraph again with clauses of at most N word
pieces read on their own (`embed_texts(read_alone=N)`; a huge N reads every clause alone, the
scheme before late chunking; 0 pools every clause from its paragraph's pass), and prints the
seconds the embedding took (model loaded and warm, so it is the embedding alone) with the
dev-set nDCG@10 of each mode.  docs/performance.md quotes its runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index of the dev-set reports")
    parser.add_argument("--read-alone", type=int, default=None, help="read_alone for this run")
    parser.add_argument("--backend", default=None, help="onnx-int8 (default), onnx or torch")
    args = parser.parse_args()
    if args.backend:
        os.environ["FINDINGS_BACKEND"] = args.backend

    from findings.config import Settings
    from findings.embedding.clauses import READ_ALONE_TOKENS, embed_texts
    from findings.evaluate import evaluate
    from findings.library import Library
    from findings.sentences import split_sentences
    from findings.store import Store, text_hash

    read_alone = READ_ALONE_TOKENS if args.read_alone is None else args.read_alone
    with tempfile.TemporaryDirectory(prefix="findings-clauses-") as work:
        copy = Path(work) / "index"
        shutil.copytree(args.index, copy)
        store = Store(copy)
        with store.transaction() as db:
            db.execute("DELETE FROM embeddings")
        store.close()
        library = Library(Settings.load(copy))
        library.embedder.encode_query("warm up")
        split_sentences("Warm up. The splitter loads here.")
        start = time.perf_counter()
        for report in library.store.reports():
            texts = {text_hash(p.text): p.text for p in library.store.paragraphs(report.id)}
            name = library.embedder.name
            library.store.put_vectors(
                (h, name, window, vector)
                for h, window, vector in embed_texts(texts, library.embedder, read_alone)
            )
        seconds = time.perf_counter() - start
        library.reindex()  # every paragraph has its vectors now: this only rebuilds FAISS
        scores = {m.mode: m.ndcg for m in evaluate(library.store, library.search).modes}
    print(
        f"backend {library.embedder.backend}, read alone <= {read_alone} word pieces: "
        f"embedding {seconds:.1f} s; nDCG@10 hybrid {scores['hybrid']:.3f}, "
        f"semantic {scores['semantic']:.3f}, keyword {scores['keyword']:.3f}"
    )


if __name__ == "__main__":
    main()
