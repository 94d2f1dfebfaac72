"""Settings with defaults, overridden by environment variables and then by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from findings.budget import FileLimits

INDEX_ENV = "FINDINGS_INDEX"
MODEL_ENV = "FINDINGS_MODEL"
DEFAULT_INDEX = "index"


@dataclass(frozen=True)
class SearchTuning:
    """The constants of ranking, in one place; `bench/tune_fusion.py` and `bench/aggregation.py`
    pass other values instead of changing module globals.

    Hybrid fusion is weighted reciprocal rank fusion, weight / (rrf_k + rank), tuned on the
    development set with bench/tune_fusion.py: on its 96 queries in report, everyday and mixed
    wording, k=30 and semantic:keyword = 1.5:1 gave the best nDCG@10 of the RRF grid and hybrid
    at least as good as the better of its parts in every class (docs/search.md).  A paragraph's
    semantic score is `whole_weight` times its whole-paragraph cosine plus the rest times its
    best clause's (bench/aggregation.py).  `pool` candidates are taken from each retriever
    before fusion.
    """

    rrf_k: int = 30
    semantic_weight: float = 1.5
    keyword_weight: float = 1.0
    whole_weight: float = 0.3
    pool: int = 100
    # Match strength (findings.results), calibrated with bench/strength.py on the 96-query dev
    # set: at or above strong_similarity 82% of hits were judged relevant, below it 59%; below
    # weak_similarity fewer than 40% (few hits fall there).
    strong_similarity: float = 0.69
    weak_similarity: float = 0.31


@dataclass(frozen=True)
class Settings:
    index_dir: Path
    model: str
    search: SearchTuning = field(default_factory=SearchTuning)
    limits: FileLimits = field(default_factory=FileLimits)  # each file's time and memory budget

    @classmethod
    def load(
        cls, index_dir: str | Path | None = None, model: str | None = None, limits: FileLimits | None = None
    ) -> Settings:
        from findings.embedding import DEFAULT_MODEL

        return cls(
            index_dir=Path(index_dir or os.environ.get(INDEX_ENV) or DEFAULT_INDEX),
            model=model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL,
            limits=limits or FileLimits(),
        )
