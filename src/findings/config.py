"""Settings with defaults, overridden by environment variables and then by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

INDEX_ENV = "FINDINGS_INDEX"
MODEL_ENV = "FINDINGS_MODEL"
DEFAULT_INDEX = "index"


@dataclass(frozen=True)
class Settings:
    index_dir: Path
    model: str

    @classmethod
    def load(cls, index_dir: str | Path | None = None, model: str | None = None) -> Settings:
        from findings.embed import DEFAULT_MODEL

        return cls(
            index_dir=Path(index_dir or os.environ.get(INDEX_ENV) or DEFAULT_INDEX),
            model=model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL,
        )
