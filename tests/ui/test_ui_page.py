"""The page's reader features in a real headless Chromium, at 1280 and 400 px wide.

Ask, click a [n] citation, copy, stop, reload and find the conversation, export, rate,
settings kept, light/dark, English switch, /?view=api. Screenshots: test-artifacts/page_*.png.
"""
from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("gradio")
from test_ui_browser import (CHROMIUM, DRIVER, LAST_BOT, Paced, ask, open_page, shot,  # noqa: E402
                             wait, webdriver)
from ui_helpers import FOLLOWUP, corpus_settings, gold, running  # noqa: E402

from rag.evaluation.feedback import feedback_path, read_feedback  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Chromium and chromedriver")
BOTS = '#rag-chat [data-testid="bot"]'


class Slow(Paced):
    """Paced, and very slow over questions that contain 慢, so there is time to press stop."""

    def stream(self, question, *args, **kwargs):
        for piece in super().stream(question, *args, **kwargs):
            if "慢" in (question or "") and isinstance(piece, str):
                time.sleep(0.5)
            yield piece


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    settings = corpus_settings(tmp_path_factory.mktemp("page"), hostile=False)
    pipeline = Slow.open(settings, build_if_missing=False)
    with running(pipeline) as u:
        yield u, settings


def make_browser(width: int, lang: str = "zh-CN"):
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--lang={lang}",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={width},1000"):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    # Headless Chromium keeps windows at least ~500 px wide: emulate the exact width instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    # Clipboard writes need permission in headless Chromium; record what the page writes instead.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__copied = [];
        if (navigator.clipboard) navigator.clipboard.writeText = (t) => { window.__copied.push(t); return Promise.resolve(); };
    """})
    return driver


@pytest.fixture(params=[1280, 400], ids=["1280px", "400px"])
def browser(request):
    driver = make_browser(request.param)
    driver.rag_width = request.param
    try:
        yield driver
    finally:
        driver.quit()


def bots(driver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, BOTS)


def test_ask_cite_copy_reload_export(browser, served) -> None:
    url, settings = served
    w = browser.rag_width
    open_page(browser, url)
    first_q, followup, _ = FOLLOWUP
    ask(browser, first_q, "30亿")
    answer = ask(browser, followup, "10亿")
    status = browser.find_element(By.ID, "rag-status").text
    assert "抽取式回答" in status and "词法检索" in status and "用时" in status and "秒" in status
    # The first answer's [1] marker is a link: clicking it shows that answer's source, highlighted.
    cite = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"{BOTS} a.rag-cite"), "clickable [n]")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cite)
    cite.click()
    flashed = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-sources .rag-source.rag-flash"),
                   "the cited source highlighted")[0]
    assert flashed.get_attribute("id") == "rag-source-1" and "30亿" in browser.find_element(By.ID, "rag-sources").text
    assert flashed.find_elements(By.TAG_NAME, "mark")  # the supporting sentence is marked
    shot(browser, f"page_cited_{w}")
    # Copy gives plain text with the numbered source urls.
    bubble = bots(browser)[-1]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", bubble)
    copy = bubble.find_element(By.XPATH, "./ancestor::*[contains(@class,'message-row') or contains(@class,'message-wrap')][1]"
                               ).find_elements(By.CSS_SELECTOR, "button[title*='opy'], button[aria-label*='opy']")
    if not copy:  # buttons sit beside the bubble
        copy = browser.find_elements(By.CSS_SELECTOR, "#rag-chat button[title*='opy'], #rag-chat button[aria-label*='opy']")
    browser.execute_script("arguments[0].click()", copy[-1])
    copied = wait(browser, lambda d: d.execute_script("return window.__copied"), "a copy")[-1]
    assert "10亿" in copied and "<small>" not in copied and "\\" not in copied and "&lt;" not in copied
    assert "来源：\n[1] " in copied and "https://" in copied, copied
    # Reload: the conversation and its sources are still there, and follow-ups still see it.
    browser.refresh()
    wait(browser, lambda d: len(bots(d)) == 2, "the conversation after a reload")
    assert "10亿" in browser.execute_script(f"return {LAST_BOT}")
    assert "10亿" in browser.find_element(By.ID, "rag-sources").text
    # Export as Markdown (the file goes to the downloads; the page keeps what it wrote).
    browser.find_element(By.ID, "rag-export").click()
    md = wait(browser, lambda d: d.execute_script("return window.ragLastExport"), "an export")
    assert f"## {first_q}" in md and f"## {followup}" in md and "[1]: https://" in md
    shot(browser, f"page_reloaded_{w}")
    # 新对话 empties it, for good.
    browser.find_element(By.ID, "rag-new").click()
    wait(browser, lambda d: not bots(d), "an empty chat")
    browser.refresh()
    open_page(browser, url)
    time.sleep(1)
    assert not bots(browser)
    # Nothing is wider than the window.
    assert browser.execute_script("return document.documentElement.scrollWidth") <= w + 1


def test_stop_settings_theme_language_and_rating(browser, served) -> None:
    url, settings = served
    w = browser.rag_width
    open_page(browser, url)
    # Stop: a slow answer is cut off and the page is free for the next question.
    box = browser.find_element(By.CSS_SELECTOR, "#rag-input textarea")
    box.send_keys("慢" + gold()["q008"][0])
    box.send_keys(Keys.ENTER)
    wait(browser, lambda d: "▍" in d.execute_script(f"return {LAST_BOT}"), "a streaming answer")
    browser.find_element(By.ID, "rag-stop").click()
    wait(browser, lambda d: "（已停止）" in d.execute_script(f"return {LAST_BOT}"), "the stopped answer marked")
    time.sleep(1.0)
    stopped = browser.execute_script(f"return {LAST_BOT}")
    assert "373" not in stopped and "▍" not in stopped
    before = len(bots(browser))
    box.send_keys(gold()["q001"][0], Keys.ENTER)  # the stopped turn stays above the next one
    wait(browser, lambda d: len(bots(d)) == before + 1, "a new bubble below the stopped one")
    assert "（已停止）" in bots(browser)[-2].text
    wait(browser, lambda d: "1.6万" in d.execute_script(f"return {LAST_BOT}") and "来源" in
         d.execute_script(f"return {LAST_BOT}"), "the next answer")
    # Settings are kept across a reload.
    browser.find_element(By.CSS_SELECTOR, "#rag-settings button").click()
    number = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-settings input[type=number]"), "k")[0]
    number.send_keys(Keys.CONTROL, "a")
    number.send_keys("3", Keys.ENTER)
    time.sleep(0.8)
    browser.find_element(By.ID, "rag-theme").click()
    assert browser.execute_script("return document.body.classList.contains('dark')")
    browser.refresh()
    open_page(browser, url)
    browser.find_element(By.CSS_SELECTOR, "#rag-settings button").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-settings input[type=number]")
         and d.find_element(By.CSS_SELECTOR, "#rag-settings input[type=number]").get_attribute("value") == "3",
         "k kept at 3")
    assert browser.execute_script("return document.body.classList.contains('dark')")
    wait(browser, lambda d: d.find_element(By.ID, "rag-theme").text == "浅色", "the switch naming the light theme")
    shot(browser, f"page_dark_{w}")
    browser.find_element(By.ID, "rag-theme").click()
    # Rate the answer with a comment: it lands in the feedback file.
    like = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-chat button[aria-label='赞'], "
                                                   "#rag-chat button[aria-label='Like']"), "a like button")[-1]
    browser.execute_script("arguments[0].click()", like)
    comment = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rag-comment textarea"), "the comment box")[0]
    comment.send_keys(f"很好 {w}", Keys.ENTER)
    wait(browser, lambda d: any(r.get("comment") == f"很好 {w}" for r in read_feedback(feedback_path(settings.index))),
         "the comment stored")
    rows = list(read_feedback(feedback_path(settings.index)))
    assert rows[-1]["rating"] == "up" and rows[-1]["comment"] == f"很好 {w}" and "1.6万" in rows[-1]["answer"]
    assert all("comment_of" not in r for r in rows)  # the comment is in its rating's row, not one of its own
    # English switch, and back.
    browser.find_element(By.ID, "rag-lang").click()
    wait(browser, lambda d: d.find_element(By.ID, "rag-new").text == "New chat", "English labels")
    shot(browser, f"page_english_{w}")
    browser.find_element(By.ID, "rag-lang").click()
    wait(browser, lambda d: d.find_element(By.ID, "rag-new").text == "新对话", "Chinese labels")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= w + 1
    shot(browser, f"page_light_{w}")


def test_english_browser_gets_english_and_view_api_opens(served) -> None:
    driver = make_browser(1280, "en-US")
    try:
        open_page(driver, served[0])
        wait(driver, lambda d: d.find_element(By.ID, "rag-send").text == "Send", "English for an English browser")
        driver.get(served[0].rstrip("/") + "/?view=api")
        wait(driver, lambda d: "/ask" in d.find_element(By.TAG_NAME, "body").text
             and "passages to retrieve" in d.find_element(By.TAG_NAME, "body").text, "the API view")
        shot(driver, "page_view_api")
    finally:
        driver.quit()
