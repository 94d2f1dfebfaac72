"""Every corpus PDF reads and splits; paragraph numbers run 1..N in nearly all of them."""

from __future__ import annotations

import pytest

from findings.readers import read_pages
from findings.split import split_pages


@pytest.mark.corpus
@pytest.mark.slow
def test_all_corpus_pdfs_split_with_clean_numbering(corpus):
    files = sorted((corpus / "ilacs").glob("*/*.pdf"))
    assert len(files) == 365
    clean, messy = 0, []
    for path in files:
        paragraphs = split_pages(read_pages(path))  # raises on any unreadable file
        assert paragraphs, path
        numbers = [p.number for p in paragraphs if p.kind == "numbered"]
        if numbers and numbers == list(range(1, len(numbers) + 1)):
            clean += 1
        else:
            messy.append(path.name)
    assert clean / len(files) >= 0.98, messy
