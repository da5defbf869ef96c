"""Knowledge bases in the page, in a real headless Chromium: create one, upload a file with a fact
nobody else has, ask about it and get a cited answer, without a restart; the same base is a /v1 model.

Screenshots: test-artifacts/ui_kb_*.png.
"""
from __future__ import annotations

import json
import os
import urllib.request

import pytest

pytest.importorskip("gradio")
from test_ui_browser import CHROMIUM, DRIVER, LAST_BOT, ask, open_page, shot, sources, wait  # noqa: E402
from test_ui_page import make_browser  # noqa: E402
from ui_helpers import corpus_settings, running  # noqa: E402

from rag.pipeline import Pipeline  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Chromium and chromedriver")
FACT = "青石镇灯塔建于1893年，塔高27米，由渔民周海生设计。"
QUESTION = "青石镇灯塔塔高多少米？"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("RAG_HOME")
    os.environ["RAG_HOME"] = str(home)  # the knowledge bases of this test, not the checkout's
    try:
        settings = corpus_settings(tmp_path_factory.mktemp("kbpage"), hostile=False)
        with running(Pipeline.open(settings, build_if_missing=False)) as u:
            yield u, home
    finally:
        if old is None:
            os.environ.pop("RAG_HOME", None)
        else:
            os.environ["RAG_HOME"] = old


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def log_text(driver) -> str:
    return driver.find_element(By.ID, "rag-upload-log").text


def test_upload_into_a_new_base_then_ask_it(served, tmp_path) -> None:
    url, home = served
    browser = make_browser(1280)
    try:
        open_page(browser, url)
        browser.find_element(By.CSS_SELECTOR, "#rag-kb-panel button").click()  # open the panel
        name = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#rag-kb-name textarea, #rag-kb-name input"),
                    "the name box")
        name.send_keys("灯塔资料")
        browser.find_element(By.ID, "rag-kb-create").click()
        wait(browser, lambda d: "已新建知识库“灯塔资料”" in log_text(d), "the base created")
        wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#rag-kb input").get_attribute("value") == "灯塔资料",
             "the new base selected")
        # A type the readers do not know is not stored (tests/ui/test_uploads.py: the reasons given).
        bad = tmp_path / "tool.exe"
        bad.write_bytes(b"MZ\x00")
        fact = tmp_path / "灯塔.txt"
        fact.write_text(f"青石镇灯塔\n\n{FACT}夜间灯光可照射二十海里。\n", encoding="utf-8")
        upload = browser.find_element(By.CSS_SELECTOR, "#rag-upload input[type=file]")
        upload.send_keys(f"{fact}\n{bad}")
        wait(browser, lambda d: "索引完成" in log_text(d) or "失败" in log_text(d), "the upload indexed", 90)
        log = log_text(browser)
        assert "灯塔.txt：已保存" in log and "索引完成：1 篇文档" in log, log
        assert "tool.exe" not in log  # the file picker's types (file_types) already kept it out
        assert sorted(p.name for p in (home / "kb" / "灯塔资料" / "docs").iterdir()) == ["灯塔.txt"]
        table = browser.find_element(By.ID, "rag-docs").text
        assert "灯塔.txt" in table and "已索引" in table
        shot(browser, "kb_uploaded")
        answer = ask(browser, QUESTION, "27米")
        assert "[1]" in answer or browser.find_elements(By.CSS_SELECTOR, "#rag-chat a.rag-cite")
        assert "灯塔" in sources(browser) and "27米" in sources(browser)
        browser.execute_script("document.getElementById('rag-chat').scrollIntoView()")
        shot(browser, "kb_answered")
        # The base the server started with does not know the fact; switching back starts a new conversation.
        status, body = post(f"{url.rstrip('/')}/v1/chat/completions", {"model": "default",
                                                           "messages": [{"role": "user", "content": QUESTION}]})
        assert status == 200 and "27米" not in body["choices"][0]["message"]["content"], body
    finally:
        browser.quit()


def test_each_base_is_a_v1_model(served) -> None:
    url, _ = served
    with urllib.request.urlopen(f"{url.rstrip('/')}/v1/models", timeout=30) as r:
        ids = [m["id"] for m in json.loads(r.read())["data"]]
    assert ids[0] == "default" and "灯塔资料" in ids
    status, body = post(f"{url.rstrip('/')}/v1/chat/completions", {"model": "灯塔资料",
                                                       "messages": [{"role": "user", "content": QUESTION}]})
    assert status == 200, body
    assert "27米" in body["choices"][0]["message"]["content"] and body["model"] == "灯塔资料"
    assert body["citations"] and "27米" in body["citations"][0]["quote"]
    status, body = post(f"{url.rstrip('/')}/v1/chat/completions", {"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    assert status == 404 and "'灯塔资料'" in body["error"]["message"]
