"""The app in a real browser: `streamlit run app.py` as a subprocess, driven by headless Debian
Chromium through Playwright's Python API.

Skipped with a reason when /usr/bin/chromium is missing, unless FINDINGS_REQUIRE_BROWSER is
set (as in CI), when that is a failure.  Install it with `apt-get install -y chromium`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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


class AppServer:
    """`streamlit run app.py` on a fixed free port over one index folder, restartable."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder.parent / "streamlit.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.port", str(self.port), "--server.headless", "true", "--server.address", "127.0.0.1",
        ]
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, "FINDINGS_INDEX": str(self.folder)},
                stdout=out, stderr=subprocess.STDOUT,
            )
        wait_for_health(self.url, self.process, self.log)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """kill -9: no chance to flush or clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None


def copy_of_seeded_index(tmp_path_factory, name: str) -> Path:
    seeded, _ = seeded_index_folder(tmp_path_factory)
    folder = tmp_path_factory.mktemp(name) / "index"
    shutil.copytree(seeded, folder)
    return folder


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory, embedder) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, serving a copy of the seeded index plus one report
    full of markup; always stopped at the end."""
    folder = copy_of_seeded_index(tmp_path_factory, "browser")
    xss = folder.parent / "markup-report.txt"
    xss.write_text(XSS_REPORT)
    Library(Settings(folder, embedder.name), embedder=embedder).ingest([xss])
    app = AppServer(folder)
    try:
        app.start()
        yield app.url
    finally:
        app.stop()


@contextmanager
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(launched, url: str):
    page = launched.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page.dialogs = []  # any alert() would land here
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    return page


@pytest.fixture
def page(server, chromium):
    with browser(chromium) as launched:
        yield open_page(launched, server)


def ask(page, query: str) -> None:
    box = page.get_by_role("textbox", name="What are you looking for?")
    box.wait_for(timeout=ANSWER_TIMEOUT)
    box.fill(query)
    box.press("Enter")


def card_texts(page) -> list[str]:
    from playwright.sync_api import expect

    expect(page.locator(".card").first).to_be_visible(timeout=ANSWER_TIMEOUT)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # let Streamlit finish the run it started
    # What the reader sees: a report's further hits sit folded under "more from this report".
    return [text.strip() for text in page.locator(".card:visible").all_inner_texts()]


def collected_cards(page, url: str) -> list[str]:
    page.goto(f"{url}/?view=collections")
    return card_texts(page)


def test_search_collect_and_download_word(page, server, tmp_path):
    from docx import Document
    from playwright.sync_api import expect

    ask(page, "domestic abuse over-optimism")
    first = page.locator(".card").first
    expect(first).to_contain_text("paragraph 9", timeout=ANSWER_TIMEOUT)
    expect(first).to_contain_text("Blackburn with Darwen")
    expect(first.locator("mark").first).to_contain_text("domestic abuse")
    page.get_by_role("button", name="Add to “My selection”").first.click()
    expect(page.get_by_role("button", name="In “My selection” ✓")).to_have_count(1, timeout=30_000)

    page.get_by_test_id("stSidebar").get_by_text("Collections", exact=True).click()
    word = page.get_by_role("button", name="Word")
    expect(word).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        word.click()
    download = info.value
    assert download.suggested_filename == "my-selection.docx"
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


def test_a_collection_survives_reload_new_tab_restart_and_kill(chromium, tmp_path_factory, embedder):
    from playwright.sync_api import expect

    app = AppServer(copy_of_seeded_index(tmp_path_factory, "durable"))
    app.start()
    try:
        with browser(chromium) as launched:
            page = open_page(launched, app.url)
            ask(page, "domestic abuse over-optimism")
            for _ in range(3):
                button = page.get_by_role("button", name="Add to “My selection”").first
                expect(button).to_be_visible(timeout=ANSWER_TIMEOUT)
                before = page.get_by_role("button", name="In “My selection” ✓").count()
                button.click()
                expect(page.get_by_role("button", name="In “My selection” ✓")).to_have_count(before + 1,
                                                                                         timeout=30_000)
            kept = collected_cards(page, app.url)
            assert len(kept) == 3
            page.reload()
            assert card_texts(page) == kept, "after a reload"
            assert collected_cards(open_page(launched, app.url), app.url) == kept, "in a new tab"
        app.stop()
        app.start()
        with browser(chromium) as launched:
            assert collected_cards(open_page(launched, app.url), app.url) == kept, "after a restart"
        app.kill()
        app.start()
        with browser(chromium) as launched:
            assert collected_cards(open_page(launched, app.url), app.url) == kept, "after kill -9"
    finally:
        app.stop()


def test_a_link_reproduces_the_search_and_a_judgement_alone_filters_nothing(server, chromium):
    from playwright.sync_api import expect

    with browser(chromium) as launched:
        page = open_page(launched, server)
        page.get_by_text("Keyword", exact=True).click()
        ask(page, "care leavers personal adviser")
        everything = card_texts(page)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("combobox", name="Judgement").click()
        page.get_by_role("option", name="Care leavers").click()
        page.wait_for_timeout(1500)
        assert card_texts(page) == everything, "a judgement without a grade changed the results"
        sidebar.get_by_role("combobox", name="Report type").click()
        page.get_by_role("option", name="Single inspection framework inspection").click()
        page.keyboard.press("Escape")
        expect(page.get_by_role("button", name="Type: Single inspection framework inspection  ✕")).to_be_visible(
            timeout=30_000)
        narrowed = card_texts(page)
        assert narrowed != everything and all("Single inspection framework" in c for c in narrowed)
        link = page.url
        assert "q=care+leavers+personal+adviser" in link and "type=sif" in link and "mode=keyword" in link
    with browser(chromium) as fresh:
        again = open_page(fresh, link)
        assert card_texts(again) == narrowed


def test_expansions_strength_folding_paging_and_compare_show_in_the_browser(page, server, tmp_path):
    from playwright.sync_api import expect

    ask(page, "kids who run away from care")
    expect(page.get_by_text("Also searched for", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(page.get_by_role("button", name="run away → missing from home or care, go missing")).to_be_visible()
    assert "match" in card_texts(page)[0]  # its strength: "strong match", "fair match" or "weak match"
    expect(page.locator(".card").first.locator(".strength")).to_have_count(1)
    expect(page.get_by_text("more from this report").first).to_be_visible()
    expect(page.get_by_role("button", name="Next →")).to_be_visible()
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    page.goto(f"{server}/?view=compare")
    councils = page.get_by_role("combobox", name="Councils").last
    councils.wait_for(timeout=ANSWER_TIMEOUT)
    for name in ("Blackpool", "Blackburn with Darwen"):
        councils.click()
        page.get_by_role("option", name=name, exact=True).click()
    page.keyboard.press("Escape")
    theme = page.get_by_role("textbox", name="Theme")
    theme.fill("children missing from home or care")
    theme.press("Enter")
    expect(page.get_by_role("heading", name="Blackpool")).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(page.get_by_role("heading", name="Blackburn with Darwen")).to_be_visible()
    expect(page.locator(".tag").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    assert page.dialogs == []
