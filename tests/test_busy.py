"""A full queue, for real: an app whose queue holds one waiting event (PLAYGROUND_QUEUE_SIZE=1),
filled with Train live runs (paced, so slow but light: two run, Train live's limit, and a third
waits). The next request is refused at once with Gradio's "busy, try again" (HTTP 503 with the
queue's size, gradio_client's QueueError, the page's error toast), and once the runs stop the
server answers again."""
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from gradio_client import Client
from gradio_client.utils import QueueError, Status
from playwright.sync_api import Page, expect

LONG_RUN = ("moons", "gan", 0.002, 2, 5000, "1:1", 1.0, 6, 0, None)  # target … seed, drawing


@pytest.fixture
def busy_app(second_app):
    """tests/conftest.py's second app: its queue holds one waiting event."""
    return second_app.server.url


def fill(url: str) -> list:
    """Two runs training and a third waiting in the queue: [(client, job)] for the three."""
    runs = []
    for _ in range(2):
        client = Client(url, verbose=False)              # a session each: a run each
        job = client.submit(*LONG_RUN, api_name="/start_training")
        next(iter(job))                                  # its first frame: it runs
        runs.append((client, job))
    client = Client(url, verbose=False)
    waiting = client.submit(*LONG_RUN, api_name="/start_training")
    deadline = time.monotonic() + 60
    while waiting.status().code != Status.IN_QUEUE:
        assert time.monotonic() < deadline, f"the third run never queued: {waiting.status()}"
        time.sleep(0.1)
    return [*runs, (client, waiting)]


def release(runs: list) -> None:
    """Take the waiting run out of the queue, then pause the two (Pause ends a stream)."""
    runs[-1][1].cancel()
    for client, job in runs[:2]:
        assert "Paused" in client.predict(api_name="/pause_training")
        job.result(timeout=120)


def join(url: str, api_name: str) -> tuple[int, dict]:
    """POST /gradio_api/queue/join for an event, as any HTTP client: (status, JSON body)."""
    with urllib.request.urlopen(f"{url}/config", timeout=30) as r:
        config = json.load(r)
    fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    body = json.dumps({"data": [], "fn_index": fn, "session_hash": "busy-test"}).encode()
    request = urllib.request.Request(f"{url}/gradio_api/queue/join", body,
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_a_full_queue_says_busy_and_the_server_answers_afterwards(busy_app):
    runs = fill(busy_app)
    try:
        with pytest.raises(QueueError, match="Queue is full! Please try again"):
            Client(busy_app, verbose=False).predict(api_name="/reset_training")
        status, body = join(busy_app, "reset_training")
        assert status == 503 and re.fullmatch(r"Queue is full\. Max size is 1 and size is 1\.",
                                              body["detail"]), (status, body)
    finally:
        release(runs)
    assert "Reset" in Client(busy_app, verbose=False).predict(api_name="/reset_training")[3]
    *_, status = Client(busy_app, verbose=False).predict(
        "moons", "gan", 0.002, 2, 50, "1:1", 1.0, 6, 0, None, api_name="/start_training")
    assert "Finished" in status


@pytest.mark.browser
def test_the_page_says_busy_when_the_queue_is_full(page: Page, busy_app):
    page.goto(busy_app)
    page.get_by_role("tab", name="Train live").click()
    start = page.locator("#live-start")
    expect(start).to_be_visible(timeout=30_000)
    runs = fill(busy_app)
    try:
        start.click()
        toast = page.get_by_test_id("toast-text").filter(has_text="currently busy").first
        expect(toast).to_have_text("This application is currently busy. Please try again.",
                                   timeout=15_000)
    finally:
        release(runs)
    start.click()                                        # the same page, now served
    expect(page.locator("#live-status")).to_contain_text(re.compile("Training|Finished"),
                                                         timeout=60_000)
    page.locator("#live-pause").click()
    expect(page.locator("#live-status")).to_contain_text("Paused", timeout=30_000)

