"""Readers that misbehave on purpose, run by the sandbox's worker in tests/test_faults.py."""

from __future__ import annotations

import os
import time


def hog_memory(path):
    """Allocates without end, as a decompression bomb would."""
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))


def sleep_forever(path):
    """Never returns, as a reader caught in a loop would."""
    while True:
        time.sleep(1)


def segfault(path):
    """Dies as a C library with a bad pointer would."""
    os.kill(os.getpid(), 11)


def read_then_split_forever(path, name=""):
    """Reads the file, then never finishes splitting it, as a splitter caught in a loop would."""
    from findings.readers import read_pages

    read_pages(path)
    while True:
        time.sleep(1)


def what_is_warm(path):
    """What a forked child finds already loaded: each file must not pay for loading the sentence
    splitter or the tagging model again (about a second a file, before they were warmed)."""
    from findings import sentences, tagging

    return {"sentence splitter": sentences._tokenizer.cache_info().currsize,
            "tagging model": tagging.load_model.cache_info().currsize}
