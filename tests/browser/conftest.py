"""The dashboard in a real browser: Debian's Chromium driven by Playwright (its Python package only; no browser
download), against a real `zapiki serve` (one worker process with one thread, so two sleeping diagnostic jobs
fill the cluster). Missing Chromium skips these tests locally and fails them in CI."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import free_port
from realprocs import start_serve

CHROMIUM = os.environ.get("ZAPIKI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HOST = "127.0.0.1"
DOCS = Path(__file__).resolve().parents[2] / "docs"


TEXT_JS = """() => {
  const out = []
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot)
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) out.push(child.textContent)
      else if (child.nodeName !== "SCRIPT" && child.nodeName !== "STYLE") walk(child)
    }
  }
  walk(document.body)
  return out.join(" ")
}"""


def text_of(element: Any) -> str:  # noqa: ANN401
    """The text of a Panel component (Bokeh draws it inside the element's shadow root)."""
    return element.evaluate("e => (e.shadowRoot || e).textContent")


@dataclass
class Served:
    """A running `zapiki serve`: its address, database, process, and API keys by holder."""

    url: str
    db: str
    proc: subprocess.Popen
    keys: dict[str, str]
    jobs: dict[str, str] = field(default_factory=dict)  # what earlier tests made, by name

    def api(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.keys[who]}, timeout=30)

    def submit(self, who: str, system: str, data: Any, **options: Any) -> str:  # noqa: ANN401
        with self.api(who) as c:
            r = c.post("/api/v1/proofs", json={"proof_system": system, "data": data, "options": options})
        assert r.status_code in (201, 202), r.text
        return r.json()["job_id"]

    def job(self, who: str, job_id: str) -> dict[str, Any]:
        with self.api(who) as c:
            return c.get(f"/api/v1/jobs/{job_id}").json()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`zapiki serve` on a fresh SQLite database; the admin key is the one it printed on its first start,
    alice and bob hold pro user keys, carol a free one (10 requests a minute)."""
    from zapiki.store.db import create_engine_for, session_factory
    from zapiki.store.keys import KeyRepository

    tmp = tmp_path_factory.mktemp("serve")
    db = f"sqlite:///{tmp}/zapiki.db"
    port = free_port()
    proc, banner = start_serve(tmp, db, port)
    admin = re.search(r"shown once: (zk_\S+)", banner).group(1)
    engine = create_engine_for(db)
    repo = KeyRepository(session_factory(engine))
    keys = {"admin": admin}
    for who, tier in (("alice", "pro"), ("bob", "pro"), ("carol", "free")):
        keys[who] = repo.create_key(f"{who}@example.com", tier=tier)[1]
    engine.dispose()
    try:
        yield Served(f"http://{HOST}:{port}", db, proc, keys)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=2)  # a second signal stops at once: the sleeping jobs need not finish
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), through Playwright's Python package."""
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} not found: `apt-get install chromium` (or set ZAPIKI_CHROMIUM)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("the playwright package is missing: pip install -e '.[test]'")
        pytest.skip("the playwright package is missing: pip install -e '.[test]'")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Dashboard:
    """One browser tab on the dashboard, with the few moves the tests make. Every request the tab makes is
    recorded (`requests`): the page must load nothing from outside the server's host."""

    def __init__(self, context: Any, base: str) -> None:  # noqa: ANN401
        self.context = context
        self.base = base
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self) -> Dashboard:
        self.page.goto(f"{self.base}/dashboard")
        self.page.get_by_role("button", name="Sign in").or_(self.page.get_by_role("button", name="Sign out")).wait_for()
        return self

    def sign_in(self, key: str) -> Dashboard:
        self.page.locator("input[type=password]").fill(key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.locator(".bk-tab", has_text="Jobs").wait_for()
        return self

    def text(self) -> str:
        """Every text the page shows, shadow roots included (Bokeh draws its components in them)."""
        return self.page.evaluate(TEXT_JS)

    def tab(self, name: str) -> Dashboard:
        self.page.locator(".bk-tab", has_text=re.compile(f"^{name}$")).first.click()
        return self

    def button(self, name: str) -> Any:  # noqa: ANN401
        return self.page.get_by_role("button", name=name)

    def alert(self, text: str | re.Pattern[str], timeout_s: float = 60) -> str:
        """The text of the visible alert that matches `text` (waited for)."""
        found = self.page.locator(".alert:visible", has_text=text).first
        found.wait_for(timeout=timeout_s * 1000)
        return text_of(found)

    def row(self, job_id: str) -> Any:  # noqa: ANN401
        return self.page.locator(".tabulator-row:visible", has_text=job_id)

    def wait_for_status(self, job_id: str, status: str, timeout_s: float = 120) -> None:
        """Wait, without reloading, until the jobs table shows `job_id` with `status`."""
        cell = self.row(job_id).locator(".tabulator-cell[tabulator-field=status]", has_text=status)
        cell.wait_for(timeout=timeout_s * 1000)

    def screenshot(self, name: str, tmp_path: Path, full_page: bool = False) -> Path:
        """docs/dashboard-NAME.png when ZAPIKI_SCREENSHOTS=1 (to refresh the README's pictures), else tmp_path."""
        folder = DOCS if os.environ.get("ZAPIKI_SCREENSHOTS") == "1" else tmp_path
        path = folder / f"dashboard-{name}.png"
        time.sleep(1.5)  # let plots and tables finish drawing
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def outside_hosts(self) -> set[str]:
        """Hosts other than the server's that the tab asked for anything (must stay empty)."""
        return {urlsplit(u).hostname or u for u in self.requests if not u.startswith(("data:", "blob:"))} - {HOST}


@pytest.fixture
def dashboard(browser: Any, served: Served) -> Iterator[Callable[[], Dashboard]]:  # noqa: ANN401
    """dashboard() -> a new tab, in a browser context of its own (its own sessionStorage); after the test, no
    tab may have asked any other host for anything."""
    opened: list[Dashboard] = []

    def _new() -> Dashboard:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        opened.append(Dashboard(context, served.url))
        return opened[-1]

    yield _new
    for tab in opened:
        tab.context.close()
    assert not set().union(*(tab.outside_hosts() for tab in opened)), "the page loaded something from outside"
