"""The chat page in a real headless Chromium: streamed answers, sources, follow-ups, inert hostile markup.

Skipped when Chromium, chromedriver or selenium is missing (`.ci/run` installs them).
Screenshots are saved under test-artifacts/.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("gradio")
from ui_helpers import FOLLOWUP, HOSTILE_QUESTION, corpus_settings, gold, running  # noqa: E402

from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import PROJECT_ROOT  # noqa: E402

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[dev]'")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver)")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--window-size=1400,1000", "--lang=zh-CN")
LAST_BOT = "(() => { const m = document.querySelectorAll('#rag-chat [data-testid=\"bot\"]'); " \
           "return m.length ? m[m.length - 1].innerText : ''; })()"
# Records every text the last answer bubble shows, so the test can see the answer grow.
WATCH = """
window.__seen = [];
new MutationObserver(() => {
  const m = document.querySelectorAll('#rag-chat [data-testid="bot"]');
  const t = m.length ? m[m.length - 1].innerText : '';
  if (t && window.__seen[window.__seen.length - 1] !== t) window.__seen.push(t);
}).observe(document.getElementById('rag-chat'), {subtree: true, childList: true, characterData: true});
"""


class Paced(Pipeline):
    """Streams its answer six characters at a time, as an LLM backend would."""

    def stream(self, question, *args, **kwargs):
        for piece in super().stream(question, *args, **kwargs):
            if isinstance(piece, str):
                for i in range(0, len(piece), 6):
                    time.sleep(0.06)
                    yield piece[i:i + 6]
            else:
                yield piece


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    settings = corpus_settings(tmp_path_factory.mktemp("browser"))
    with running(Paced.open(settings, build_if_missing=False)) as u:
        yield u


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="rag-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = CHROMIUM
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN"})  # the page follows it
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, url: str) -> None:
    driver.get(url)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-input textarea"), "the page to load")


def wait(driver, condition, what: str, timeout: float = 30):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)
    except TimeoutException:
        shot(driver, "failure")
        raise AssertionError(f"timed out waiting for {what}") from None


def ask(driver, question: str, expect: str) -> str:
    before = len(driver.find_elements(By.CSS_SELECTOR, '#rag-chat [data-testid="bot"]'))
    box = driver.find_element(By.CSS_SELECTOR, "#rag-input textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, '#rag-chat [data-testid="bot"]')) > before,
         "an answer bubble")
    wait(driver, lambda d: expect in d.execute_script(f"return {LAST_BOT}") and "▍" not in
         d.execute_script(f"return {LAST_BOT}"), f"an answer with {expect!r}")
    wait(driver, lambda d: "正在检索" not in sources(d), "the sources panel")
    return driver.execute_script(f"return {LAST_BOT}")


def sources(driver) -> str:
    return driver.find_element(By.ID, "rag-sources").get_attribute("innerHTML")


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ui_{name}.png"
    driver.save_screenshot(str(path))
    return path


def requested_urls(driver) -> list[str]:
    out = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            out.append(message["params"]["request"]["url"])
    return out


def test_page_streams_an_answer_with_its_sources(browser, url) -> None:
    open_page(browser, url)
    header = browser.find_element(By.ID, "rag-header").text
    assert "词法检索" in header and "抽取式回答" in header and "2 篇文档" in header
    examples = browser.find_elements(By.CSS_SELECTOR, "#rag-chat button.example")
    assert 2 <= len(examples) <= 4 and all("多少" in e.text for e in examples)
    browser.execute_script(WATCH)
    question, facts = gold()["q008"]
    answer = ask(browser, question, "373")
    seen = browser.execute_script("return window.__seen")
    partial = [t for t in seen if "▍" in t and "373" not in t]
    assert len(partial) >= 2, seen  # the answer grew on the page before it was complete
    assert "[1]" in answer and "来源：[1] 个性定制" in answer
    panel = browser.find_element(By.ID, "rag-sources")
    assert "来源（1）" in panel.text and "章节：" in panel.text
    marks = panel.find_elements(By.TAG_NAME, "mark")
    assert marks and "373" in marks[0].text
    links = panel.find_elements(By.CSS_SELECTOR, "a")
    assert [a.get_attribute("href") for a in links] == \
        ["https://baijiahao.baidu.com/s?id=1815288192812609643&wfr=spider&for=pc"]
    assert links[0].get_attribute("rel") == "noopener noreferrer nofollow"
    shot(browser, "answer")


def test_followup_new_chat_and_examples(browser, url) -> None:
    open_page(browser, url)
    first_q, followup, facts = FOLLOWUP
    ask(browser, first_q, "30亿")
    answer = ask(browser, followup, "10亿")
    assert "抖音" in answer
    # Clicking the first answer brings its sources back.
    browser.find_elements(By.CSS_SELECTOR, '#rag-chat [data-testid="bot"]')[0].click()
    wait(browser, lambda d: "30亿" in d.find_element(By.ID, "rag-sources").text, "the first answer's sources")
    browser.find_element(By.ID, "rag-new").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, '#rag-chat [data-testid="bot"]'), "an empty chat")
    assert "提问后" in browser.find_element(By.ID, "rag-sources").text
    example = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-chat button.example"), "examples")[0]
    shot(browser, "empty")
    example.click()
    wait(browser, lambda d: "▍" not in d.execute_script(f"return {LAST_BOT}") and
         "来源：" in d.execute_script(f"return {LAST_BOT}"), "the example's answer")


def assert_inert(browser, title: str) -> None:
    time.sleep(0.3)  # give any handler that might have been planted a moment to run
    assert browser.title == title and "pwned" not in browser.title
    dom = browser.execute_script("""return {
        imgs: document.querySelectorAll('#rag-chat img, #rag-sources img').length,
        scripts: document.querySelectorAll('#rag-chat script, #rag-sources script, #rag-header script').length,
        handlers: document.querySelectorAll('#rag-chat [onerror], #rag-sources [onerror], [onload]').length,
        js_links: [...document.querySelectorAll('a')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href') || '')).length,
        links: [...document.querySelectorAll('#rag-chat a, #rag-sources a')].map(a => a.href),
    }""")
    assert dom["imgs"] == 0 and dom["scripts"] == 0 and dom["handlers"] == 0 and dom["js_links"] == 0, dom
    assert all(urlsplit(h).scheme in ("http", "https") for h in dom["links"]), dom["links"]
    assert not any("evil.example" in h for h in dom["links"])  # urls in the text are not made links


def new_chat(browser) -> None:
    browser.find_element(By.ID, "rag-new").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, '#rag-chat [data-testid="bot"]'), "an empty chat")


def test_hostile_markup_stays_inert(browser, url) -> None:
    open_page(browser, url)
    title = browser.title
    evil_user = "<img src=x onerror=\"document.title='pwned-user'\"><script>document.title='pwned-user2'</script>"
    answer = ask(browser, evil_user + HOSTILE_QUESTION, "4242")
    assert "<img src=x onerror=" in answer and "<script>" in answer  # shown as text
    panel = browser.find_element(By.ID, "rag-sources")
    assert "<img src=x" in panel.text and "javascript:document.title='pwned-link'" in panel.text
    assert_inert(browser, title)
    shot(browser, "hostile")
    # Markdown links, bare urls, an e-mail address, template syntax and <a href="javascript:..."> in answers.
    for question, expect, shown in [("火星快递的客服热线是什么？", "www.evil.example", "投诉见[1](javascript:"),
                                    ("火星快递的口号是什么？", "口号", "${document.title="),
                                    ("火星快递官网是哪个？", "官网链接", '<a href="javascript:')]:
        new_chat(browser)
        assert shown in ask(browser, question, expect)
        assert_inert(browser, title)
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not any("pwned" in e for e in errors), errors


def test_empty_huge_and_control_messages_get_polite_replies(browser, url) -> None:
    open_page(browser, url)
    assert "请输入一个问题" in ask(browser, "", "请输入一个问题")
    assert "请输入一个问题" in ask(browser, "\u200b \u3000\u200b", "请输入一个问题")
    huge = gold()["q008"][0] + "啊" * 100_000
    browser.execute_script("""
        const box = document.querySelector('#rag-input textarea');
        Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(box, arguments[0]);
        box.dispatchEvent(new Event('input', {bubbles: true}));""", huge)
    answer = ask(browser, "", "373")
    assert "373" in answer and "cut" in answer  # answered from its first 2,000 characters, with a note
    users = browser.find_elements(By.CSS_SELECTOR, '#rag-chat [data-testid="user"]')
    assert "只用了前 2,000 字" in users[-1].text and len(users[-1].text) < 2200
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_page_loads_nothing_from_outside(browser, url) -> None:
    open_page(browser, url)
    ask(browser, gold()["q001"][0], "1.6万")
    browser.find_element(By.CSS_SELECTOR, "footer button.show-api").click()  # the API page, with its snippets
    wait(browser, lambda d: "API documentation" in d.find_element(By.TAG_NAME, "body").text, "the API page")
    wait(browser, lambda d: "/chat" in d.find_element(By.TAG_NAME, "body").text, "the endpoints on the API page")
    origin = urlsplit(url).netloc
    outside = [u for u in requested_urls(browser)
               if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != origin]
    assert outside == []
