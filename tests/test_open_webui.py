"""Open WebUI (from PyPI) pointed at `assistant serve`, driven in Debian's Chromium: it lists the
model, streams the answer and shows its source with the quoted sentence (docs/server.md).

Open WebUI is too heavy for every run (torch, chromadb, …: its own virtual environment of about
500 packages), so this test runs where $ASSISTANT_OPEN_WEBUI names its `open-webui` program:

    python -m venv /tmp/owui && /tmp/owui/bin/pip install torch==2.13.0 open-webui
    ASSISTANT_OPEN_WEBUI=/tmp/owui/bin/open-webui pytest tests/test_open_webui.py -m "slow or not slow"

Screenshots go to test-artifacts/open-webui/."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from assistant.server import ApiKeys, create_server
from tests.conftest import free_port, stop
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.test_server import Loopback

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"
SENTENCE = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin"
KEY = "open-webui-test-key"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "open-webui"
# Open WebUI asks the chat's model for titles, tags and suggestions after each answer: each would
# be taken for a question and wait for a turn (docs/server.md). Offline: no model downloads.
OPEN_WEBUI_SETTINGS = {
    "WEBUI_AUTH": "False",
    "WEBUI_SECRET_KEY": "test",
    "OFFLINE_MODE": "true",
    "HF_HUB_OFFLINE": "1",
    "ENABLE_OLLAMA_API": "false",
    "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
    **{f"ENABLE_{task}_GENERATION": "false" for task in ("TITLE", "TAGS", "FOLLOW_UP", "AUTOCOMPLETE", "SEARCH_QUERY", "RETRIEVAL_QUERY")},
}


@pytest.fixture(scope="module")
def open_webui(real_assistant, tmp_path_factory):
    """`assistant serve` (with a key) and Open WebUI connected to it; Open WebUI's URL."""
    program = os.environ.get("ASSISTANT_OPEN_WEBUI")
    if not program or not Path(program).exists():
        pytest.skip("Open WebUI is not installed: set $ASSISTANT_OPEN_WEBUI to its open-webui program (see this module's docstring)")
    real_assistant.warm_up()
    assistant_server = Loopback(create_server(real_assistant, keys=ApiKeys([KEY])))
    port = free_port()
    data = tmp_path_factory.mktemp("open-webui")
    env = {**os.environ, **OPEN_WEBUI_SETTINGS, "DATA_DIR": str(data), "OPENAI_API_BASE_URL": f"{assistant_server.url}/v1", "OPENAI_API_KEY": KEY}
    with (data / "open-webui.log").open("w") as log:
        process = subprocess.Popen([program, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health", process, data / "open-webui.log")
        yield url
    finally:
        stop(process)
        assistant_server.stop()


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"Open WebUI stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"Open WebUI did not start in {seconds:.0f} s")


def test_open_webui_lists_the_model_streams_the_answer_and_shows_its_source(open_webui):
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        frames: list[str] = []  # what Open WebUI's server pushes to the page as the answer streams
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(str(frame))))
        page.goto(open_webui, wait_until="domcontentloaded", timeout=120_000)
        page.locator("#chat-input").wait_for(timeout=120_000)
        page.wait_for_timeout(2000)
        if page.get_by_text("Okay, Let's Go!").count():  # the release notes, on a first visit
            page.get_by_text("Okay, Let's Go!").click()
        assert page.get_by_text("assistant", exact=True).count(), "the model is listed and chosen"

        page.locator("#chat-input").click()
        page.keyboard.type(QUESTION)
        page.keyboard.press("Enter")
        page.get_by_text("1 Source").first.wait_for(timeout=300_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(SHOTS / "1-answer.png"))
        drafted = [f for f in frames if "reasoning_text.delta" in f]
        assert len(drafted) > 3, "the draft streamed piece by piece (shown as the model's thinking)"
        answer = page.locator("#messages-container").inner_text() if page.locator("#messages-container").count() else page.inner_text("body")
        assert "Dans le sud-est de la Pologne" in answer and "Thought for" in answer
        assert page.get_by_text("Le général en c", exact=False).count(), "the [1] marker shown as its source's title"

        page.get_by_text("1 Source").first.click()
        page.locator("button[id^='source-']").first.click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SHOTS / "2-source.png"))
        shown = page.inner_text("body")
        assert SENTENCE in shown, "the source's quoted sentence"
        assert "Le général en chef du Pentagone" in shown, "the source's title"
        assert page.locator("button[id^='source-']").first.inner_text().strip().endswith("…"), "named by its title, not its URL"
        browser.close()
