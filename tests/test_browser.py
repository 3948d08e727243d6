"""End to end, the way a person uses it: `assistant chat` with the real models, driven in Chromium.

Needs Debian's Chromium (`apt-get install -y chromium chromium-driver`); the browser Playwright
would download does not work here. Writes a screenshot and the measured times to test-artifacts/."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.config import SAMPLE_ARTICLE
from tests.conftest import free_port, stop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ANSWER_TIMEOUT_MS = 300_000  # the CPU is shared: an answer takes seconds, or minutes under load
SECOND_ARTICLE = (
    "Saint-Malo : l'architecte Camille Roussel construira la nouvelle médiathèque\n\n"
    "La mairie de Saint-Malo a choisi mardi l'architecte Camille Roussel pour construire la nouvelle médiathèque du quartier de Rocabey. "
    "Le bâtiment en bois accueillera une salle de lecture et un studio de musique. Les travaux commenceront au printemps prochain.\n"
)


def _wait_until_served(url: str, process: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`assistant chat` exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"`assistant chat` was not serving {url} after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """`assistant chat` on a fresh index (the first run builds it from the sample article)."""
    folder = tmp_path_factory.mktemp("chat")
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1,localhost"}
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "chat", "--index", str(folder / "index"), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_served(url, process, log)
        yield {"url": url, "ready_s": time.perf_counter() - started, "folder": folder, "log": log}
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _ask(page, question: str) -> dict:
    """Ask in the page; wait for the passages being read, the streamed draft, then the checked
    answer. Returns the timings."""
    finals = page.locator("#chat .qa-final").count()
    page.locator("#question textarea").fill(question)
    started = time.perf_counter()
    page.locator("#ask").click()
    # The passages show while the model reads them, then the first token as a draft; a fast step
    # may be replaced before the poll sees it, so each wait also accepts the later states.
    page.wait_for_function(
        "n => document.querySelector('#chat .qa-reading, #chat .qa-draft') || document.querySelectorAll('#chat .qa-final').length > n",
        arg=finals,
        timeout=ANSWER_TIMEOUT_MS,
    )
    sources = time.perf_counter() - started
    page.wait_for_function(
        "n => document.querySelector('#chat .qa-draft') || document.querySelectorAll('#chat .qa-final').length > n", arg=finals, timeout=ANSWER_TIMEOUT_MS
    )
    first = time.perf_counter() - started
    page.wait_for_function("n => document.querySelectorAll('#chat .qa-final').length > n", arg=finals, timeout=ANSWER_TIMEOUT_MS)
    seen = time.perf_counter() - started
    # The answer's note ends with the server's own total: the difference is the page's overhead.
    server = re.search(r"([\d.]+) s$", page.locator("#chat .qa-final .qa-note").last.inner_text().strip())
    return {
        "sources_shown_s": round(sources, 2),
        "first_token_s": round(first, 2),
        "answer_s": round(seen, 2),
        "server_total_s": float(server.group(1)) if server else None,
    }


def test_chat_in_the_browser(chat_server, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    figures = {"launch_to_ready_s (first run: index built, model loaded)": round(chat_server["ready_s"], 1)}
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    # Every wait is for a state, so a long limit costs nothing when things go well; the default
    # 30 s was once too short for an upload on a busy machine, and a test that fails by chance
    # teaches people to ignore red.
    page.set_default_timeout(ANSWER_TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(chat_server["url"])
    page.locator("#question textarea").wait_for()
    try:
        # The reference question: answer, then its source with the exact quote highlighted.
        figures["reference question"] = _ask(page, "Où Milley a-t-il rencontré Zaluzhny ?")
        answer = page.locator("#chat .qa-final").last
        assert "Pologne" in answer.locator(".qa-answer").inner_text()
        quote = answer.locator(".qa-source mark").first.inner_text()
        assert len(quote) > 5 and " ".join(quote.split()) in " ".join(SAMPLE_ARTICLE.read_text(encoding="utf-8").split())
        href = answer.locator("a.qa-cite").first.get_attribute("href")
        assert page.evaluate("id => !!document.getElementById(id)", href[1:]), f"[n] links to {href}, which is not in the page"
        # « Why this answer », collapsed under the sources: every stage, in order.
        trace = answer.locator("details.qa-trace")
        assert not trace.get_attribute("open")
        trace.locator("summary").click()
        stages = trace.locator("tbody tr td:first-child").all_inner_texts()
        assert stages == [
            "understand",
            "scope",
            "retrieve",
            "summarize",
            "passage_gate",
            "evidence",
            "sentence_gate",
            "draft",
            "verify",
            "verbatim",
            "corroborate",
            "decide",
            "attribute",
        ]  # fmt: skip, stages

        # A second article, uploaded from the page, answers a question the first cannot.
        article = tmp_path / "mediatheque-saint-malo.txt"
        article.write_text(SECOND_ARTICLE, encoding="utf-8")
        page.get_by_role("tab", name="Articles").click()
        page.locator("#upload input[type=file]").set_input_files([str(article)])
        # The file must be on the server before the button sends it: its download link appears then.
        page.locator(f'#upload a[download="{article.name}"]').wait_for()
        page.locator("#add").click()
        page.locator("#upload-result table").wait_for()
        assert "ajouté" in page.locator("#upload-result").inner_text()
        page.wait_for_function("() => document.querySelector('#index-summary').innerText.includes('2 article')")
        assert "Camille Roussel" in page.locator("#index-table").inner_text()

        page.get_by_role("tab", name="Discussion").click()
        figures["uploaded article question"] = _ask(page, "Quel architecte construira la nouvelle médiathèque de Saint-Malo ?")
        answer = page.locator("#chat .qa-final").last
        assert "Roussel" in answer.locator(".qa-answer").inner_text()
        assert "Roussel" in answer.locator(".qa-source mark").first.inner_text()

        # French by default; a reader switches the page to English.
        assert page.locator("#ask").inner_text().strip() == "Demander"
        page.locator("#language").get_by_text("English").click()
        page.wait_for_function("() => document.querySelector('#ask').innerText.trim() === 'Ask'")
        page.get_by_role("tab", name="Chat").wait_for()  # the tabs are relabelled a moment after the button
        assert not errors, errors
    finally:
        page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)
        (ARTIFACTS / "browser-timings.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        print("\n" + json.dumps(figures, ensure_ascii=False, indent=2))
