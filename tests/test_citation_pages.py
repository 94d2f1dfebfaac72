"""Citations against the original PDFs: bench/citation_check.py's fixed-seed corpus sample.

Every drawn paragraph's page must hold its opening words, its printed page label must be printed
on that page, and its heading must be printed above it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "citation_check.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("citation_check", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses need to find their own module
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.corpus
@pytest.mark.slow
def test_sampled_citations_point_where_a_reader_finds_the_paragraph(corpus):
    bench = load_bench()
    outcome = bench.run(corpus, bench.SAMPLE_SIZE, bench.SEED)
    assert outcome.sampled >= 500
    assert outcome.labelled > 0.9 * outcome.sampled  # nearly every corpus page prints its number
    failures = "\n".join(f.describe() for f in outcome.failures)
    assert not outcome.failures, f"{outcome.summary()}\n{failures}"
