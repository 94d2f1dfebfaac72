"""The app in a real browser: `streamlit run app.py` as a subprocess, driven by headless Debian
Chromium through Playwright's Python API.

Skipped with a reason when /usr/bin/chromium is missing, unless FINDINGS_REQUIRE_BROWSER is
set (as in CI), when that is a failure.  Install it with `apt-get install -y chromium`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_app import P9_CITATION, XSS_REPORT, seeded_index_folder

from findings.config import Settings
from findings.library import Library

pytestmark = [pytest.mark.browser, pytest.mark.model]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
START_TIMEOUT = 180  # seconds for the server to answer /_stcore/health
ANSWER_TIMEOUT = 180_000  # ms for the first answer (the server loads the model on first use)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("FINDINGS_REQUIRE_BROWSER"):
            pytest.fail(f"FINDINGS_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health in {START_TIMEOUT}s")


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory, embedder) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, serving a copy of the seeded index plus one report
    full of markup; always stopped at the end."""
    seeded, _ = seeded_index_folder(tmp_path_factory)
    folder = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(seeded, folder)
    xss = folder.parent / "markup-report.txt"
    xss.write_text(XSS_REPORT)
    Library(Settings(folder, embedder.name), embedder=embedder).ingest([xss])
    port, log = free_port(), folder.parent / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "FINDINGS_INDEX": str(folder)},
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page(server, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
            page.dialogs = []  # any alert() would land here
            page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(server)
            yield page
        finally:
            browser.close()


def ask(page, query: str) -> None:
    box = page.get_by_role("textbox", name="Search")
    box.wait_for(timeout=ANSWER_TIMEOUT)
    box.fill(query)
    box.press("Enter")


def test_search_select_and_download_word(page, tmp_path):
    from docx import Document
    from playwright.sync_api import expect

    ask(page, "domestic abuse over-optimism")
    first = page.locator(".card").first
    expect(first).to_contain_text("paragraph 9", timeout=ANSWER_TIMEOUT)
    expect(first).to_contain_text("Blackburn with Darwen")
    expect(first.locator("mark").first).to_contain_text("domestic abuse")
    page.get_by_role("button", name="Add to selection").first.click()
    expect(page.get_by_role("button", name="In selection")).to_have_count(1, timeout=30_000)

    page.get_by_test_id("stSidebar").get_by_text("Selection", exact=True).click()
    word = page.get_by_role("button", name="Word")
    expect(word).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        word.click()
    download = info.value
    assert download.suggested_filename == "findings-selection.docx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert P9_CITATION in [p.text for p in Document(saved).paragraphs]
    assert page.dialogs == []


def test_markup_in_reports_shows_as_text_and_never_runs(page):
    from playwright.sync_api import expect

    page.get_by_text("Keyword", exact=True).click()
    ask(page, "alert onerror script supervision")
    cards = page.locator(".card", has_text="alert(1)")
    expect(cards).to_have_count(2, timeout=ANSWER_TIMEOUT)
    expect(cards.filter(has_text="<script>alert(1)</script>")).to_have_count(1)
    expect(cards.filter(has_text="<img src=x onerror=alert(1)>")).to_have_count(1)
    assert page.locator(".card script, .card img").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []
