"""Load: eight people use the app at once for a minute, searching and collecting.

`streamlit run app.py` serves a copy of the seeded index; eight Chromium pages, each in its own
browser context (its own Streamlit session, as eight people's tabs), are driven at the same time
through Playwright's async API.  Each makes a collection of their own on the Collections page,
then searches and adds results to it until the minute is up.  Collections live in the index
database and are shared by everyone on that index; a user working in their own named collection
must find in it exactly the paragraphs they added, and nothing anyone else added.  (AppTest
sessions cannot stand in here: AppTest swaps a process-wide mock runtime at each run, so eight of
them on threads trip over each other, not over the app.)
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
from urllib.parse import quote_plus

import pytest
from test_browser import CHROMIUM_ARGS, AppServer, chromium, copy_of_seeded_index  # noqa: F401 - a fixture

from findings.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.model]

USERS = 8
SECONDS = 60.0
WAIT_MS = 180_000  # for one answer under the load of eight users on two cores
QUERIES = (
    "domestic abuse over-optimism", "care leavers personal adviser", "management oversight of practice",
    "children missing from education", "private fostering", "neglect", "supervision of social workers",
    "child sexual exploitation", "adoption", "early help", "agency staff turnover", "independent reviewing officers",
)
TROUBLE = '[data-testid="stExceptionMessage"], [data-testid="stAlertContentError"]'


class User:
    def __init__(self, number: int) -> None:
        self.name = f"User {number}"
        self.rng = random.Random(number)
        self.added: list[str] = []  # the citations of the cards they added
        self.searches = 0
        self.seconds: list[float] = []  # from a search or a click to its answer on the page
        self.problems: list[str] = []
        self.dialogs: list[str] = []

    async def check(self, page) -> None:
        trouble = page.locator(TROUBLE)
        if await trouble.count():
            self.problems += [f"{self.name}: {text}" for text in await trouble.all_inner_texts()]

    async def work(self, browser, url: str, deadline: float) -> None:
        from playwright.async_api import expect

        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        page.on("dialog", lambda dialog: self.dialogs.append(dialog.message))
        await page.goto(f"{url}/?view=collections")
        await page.get_by_role("button", name="New collection").click(timeout=WAIT_MS)
        box = page.get_by_role("textbox", name="Name of the new collection")
        await box.fill(self.name)
        await box.press("Enter")
        await page.get_by_role("button", name="Create").click(timeout=WAIT_MS)
        sidebar = page.get_by_test_id("stSidebar")
        await expect(sidebar.get_by_text(f"Adding to “{self.name}”")).to_be_visible(timeout=WAIT_MS)
        await sidebar.get_by_text("Search", exact=True).click()
        rows = page.get_by_role("button", name=re.compile(f"^(Add to|In) “{self.name}”"))
        done = page.get_by_role("button", name=f"In “{self.name}” ✓")
        query = ""
        while time.monotonic() < deadline and not self.problems:
            query = self.rng.choice([q for q in QUERIES if q != query])  # a new search each time
            search = page.get_by_role("textbox", name="What are you looking for?")
            started = time.monotonic()
            await search.fill(query)
            await search.press("Enter")
            await expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote_plus(query)) + "(&|$)"),
                                           timeout=WAIT_MS)
            await expect(rows.first).to_be_visible(timeout=WAIT_MS)
            self.seconds.append(time.monotonic() - started)
            self.searches += 1
            await self.check(page)
            open_rows = [i for i in range(await rows.count()) if await rows.nth(i).is_enabled()]
            if not open_rows:
                continue
            row = self.rng.choice(open_rows)
            # The buttons found by role are the visible ones: so are the citations counted here (a
            # report's further hits sit folded, hidden, under "more from this report").
            citation = await page.locator(".card-cite:visible").nth(row).inner_text()
            before = await done.count()
            started = time.monotonic()
            await rows.nth(row).click()
            await expect(done).to_have_count(before + 1, timeout=WAIT_MS)
            self.seconds.append(time.monotonic() - started)
            self.added.append(citation.strip())
            await self.check(page)
        await sidebar.get_by_text("Collections", exact=True).click()
        await expect(page.locator(".card")).to_have_count(len(self.added), timeout=WAIT_MS)
        await self.check(page)
        await context.close()


async def crowd(chromium_path, url: str, users: list[User]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            deadline = time.monotonic() + SECONDS
            await asyncio.gather(*(user.work(browser, url, deadline) for user in users))
        finally:
            await browser.close()


def test_eight_users_search_and_collect_for_a_minute(chromium, tmp_path_factory, capsys):  # noqa: F811
    folder = copy_of_seeded_index(tmp_path_factory, "load")
    app = AppServer(folder)
    app.start()
    users = [User(n) for n in range(1, USERS + 1)]
    try:
        asyncio.run(crowd(chromium, app.url, users))
    finally:
        app.stop()
    answers = sorted(s for u in users for s in u.seconds)
    figures = {
        "users": USERS, "seconds": SECONDS, "searches": sum(u.searches for u in users),
        "paragraphs collected": sum(len(u.added) for u in users),
        "answer seconds p50": round(statistics.median(answers), 2),
        "answer seconds p95": round(answers[int(0.95 * (len(answers) - 1))], 2),
        "answer seconds max": round(answers[-1], 2),
        "errors": sum(len(u.problems) for u in users),
    }
    with capsys.disabled():
        print(f"\napp load: {figures}")
    assert [p for u in users for p in u.problems] == []
    assert [d for u in users for d in u.dialogs] == []
    assert all(u.searches >= 2 and u.added for u in users), [(u.name, u.searches, len(u.added)) for u in users]
    store = Store(folder, create=False)
    for user in users:
        kept = [item.saved["citation"] for item in store.saved.items(user.name)]
        assert kept == user.added, user.name  # exactly their own, in the order they added them
    assert sorted(c.name for c in store.saved.collections()) == sorted(["My selection", *(u.name for u in users)])
    assert store.saved.collection("My selection").size == 0  # nobody's work landed elsewhere
