"""The web page in a real browser: headless Chromium driven by selenium against a live server.

Uses the system's Chromium and chromedriver (Debian: ``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them); skipped, with that one line, without them.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from privtag.labels import LABEL_IDS, LABELS

CHROMIUM = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "browser test skipped: no Chromium/chromedriver found "
        "(install them with: apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EVIL = "We never run code from a policy. <script>window.pwned = 1;</script> Really."


@pytest.fixture(scope="module")
def policy_text() -> str:
    return (ROOT / "data" / "policies" / "zarget.md").read_text(encoding="utf-8") + "\n\n" + EVIL


@pytest.fixture(scope="module")
def tagger(trained_tiny, tiny_encoder, policy_text):
    """The tiny tagger, its sentence thresholds set so each label tags part of the policy.

    The tiny model's scores are nearly flat; per-label quantiles of its own scores on
    this policy make every label tag some sentences and not others, as a real model does.
    """
    from privtag.inference.tagger import Tagger

    tagger = Tagger.load(trained_tiny, base=tiny_encoder)
    policy = tagger.tag(policy_text.encode(), format="text")
    scores = np.array([[s.scores[name] for name in LABELS] for s in policy.sentences])
    tagger.thresholds["sentence"] = np.quantile(scores, 0.8, axis=0).tolist()
    return tagger


@pytest.fixture(scope="module")
def server(tagger):
    """``http://127.0.0.1:PORT`` of the app served by uvicorn in a thread, on a free port."""
    import uvicorn

    from privtag.serve.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(tagger), log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1100,1400")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def submit(browser, server, text: str, format: str) -> None:
    browser.get(server + "/")
    box = browser.find_element(By.ID, "text")
    browser.execute_script("arguments[0].value = arguments[1];", box, text)  # a paste
    Select(browser.find_element(By.ID, "format")).select_by_value(format)
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.ID, "report"))


def test_page_tags_a_pasted_policy(browser, server, tagger, policy_text, tmp_path):
    submit(browser, server, policy_text, "text")
    expected = tagger.tag(policy_text.encode(), format="text")

    sentences = browser.find_elements(By.CSS_SELECTOR, ".doc .s")
    assert len(sentences) == len(expected.sentences)
    tagged = browser.find_elements(By.CSS_SELECTOR, ".doc .s.tagged")
    assert len(tagged) == sum(bool(s.labels) for s in expected.sentences) > 0
    assert all(el.is_displayed() for el in tagged[:5])

    cards = browser.find_elements(By.CSS_SELECTOR, "#summary article h3")
    assert [c.text.split(" ", 1)[1] for c in cards] == list(LABELS)

    # the policy's script is text on the page, and it never ran
    evil = [
        el for el in browser.find_elements(By.CSS_SELECTOR, ".doc .s .t") if "<script>" in el.text
    ]
    assert [el.text for el in evil] == [EVIL]
    assert browser.execute_script("return window.pwned === undefined")

    # a label filter shows that label's sentences only
    lid, name = next(
        (i, n)
        for i, n in zip(LABEL_IDS, LABELS, strict=True)
        if 0 < len(expected.with_label(n)) < len(expected.sentences) // 2
    )
    browser.find_element(By.CSS_SELECTOR, f'label[for="show-{lid}"]').click()
    visible = [el for el in sentences if el.is_displayed()]
    assert len(visible) == len(expected.with_label(name))
    assert all(f"l-{lid}" in el.get_attribute("class").split() for el in visible)
    browser.find_element(By.CSS_SELECTOR, 'label[for="show-all"]').click()
    assert sentences[0].is_displayed()

    shot = tmp_path / "page.png"
    browser.save_screenshot(str(shot))
    assert_not_blank(shot)


def test_a_dropped_file_fills_the_box(browser, server, tmp_path):
    policy = tmp_path / "policy.md"
    policy.write_text("# Privacy\n\nWe keep logs for a year.\n", encoding="utf-8")
    browser.get(server + "/")
    browser.find_element(By.ID, "file").send_keys(str(policy))
    box = browser.find_element(By.ID, "text")
    WebDriverWait(browser, 10).until(lambda d: box.get_attribute("value"))
    assert box.get_attribute("value") == policy.read_text()
    assert Select(browser.find_element(By.ID, "format")).first_selected_option.text == "markdown"


def assert_not_blank(png: Path) -> None:
    """The screenshot has real content: many colours, and not mostly one of them."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    assert image.size[0] >= 800 and image.size[1] >= 600
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50, "the screenshot shows almost nothing"
    assert max(n for n, _ in colours) < 0.95 * image.size[0] * image.size[1]
