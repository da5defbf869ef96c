"""docs/api.md as written: its curl and openai examples run against a live server; the API describes itself."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

pytest.importorskip("gradio")
from ui_helpers import corpus_settings, running  # noqa: E402  (first: no telemetry from gradio_client)
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from rag.live import LivePipeline  # noqa: E402
from rag.settings import PROJECT_ROOT  # noqa: E402

DOC = PROJECT_ROOT / "docs" / "api.md"
DOCS_URL = re.compile(r"http://127\.0\.0\.1:7860")


def blocks(lang: str, needle: str) -> list[str]:
    return [b for b in re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S) if needle in b]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    settings = corpus_settings(tmp_path_factory.mktemp("docs"), hostile=False)
    with running(LivePipeline(settings)) as u:
        yield u.rstrip("/")


def sse_data(out: str, event: str) -> object:
    m = re.search(rf"event: {event}\ndata: (.*)", out)
    assert m, out[:500]
    return json.loads(m.group(1))


@pytest.mark.skipif(not shutil.which("curl"), reason="needs curl")
def test_curl_examples_run_as_written(url) -> None:
    gradio_calls = blocks("bash", "gradio_api/call")
    assert len(gradio_calls) == 2
    answers = []
    for block in gradio_calls:
        out = subprocess.run(["bash", "-c", DOCS_URL.sub(url, block)], capture_output=True, text=True,
                             timeout=60, check=True).stdout
        answers.append(sse_data(out, "complete")[0])
    assert "373" in answers[0]["answer"] and answers[0]["citations"]
    assert any(v in answers[1]["answer"] for v in ("10亿", "十亿")) and len(answers[1]["citations"]) <= 3
    (openai_curl,) = blocks("bash", "/v1/chat/completions")
    out = subprocess.run(["bash", "-c", DOCS_URL.sub(url, openai_curl)], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    reply = json.loads(out)
    assert "373" in reply["choices"][0]["message"]["content"] and reply["citations"][0]["url"].startswith("https://")


def test_openai_examples_run_as_written(url, capsys) -> None:
    pytest.importorskip("openai")
    (block,) = blocks("python", "from openai import")
    exec(compile(DOCS_URL.sub(url, block), "docs/api.md", "exec"), {})
    out = capsys.readouterr().out
    assert "30亿元" in out and "10亿" in out and "https://" in out


def test_every_parameter_is_described_with_its_default(url) -> None:
    info = Client(url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(info) == {"/ask", "/chat"}  # the page's own handlers are not part of the API
    for name, endpoint in info.items():
        assert endpoint["description"], name
        params = {p["parameter_name"]: p for p in endpoint["parameters"]}
        assert all(p["python_type"]["description"] for p in params.values()), name
        assert [n for n, p in params.items() if not p["parameter_has_default"]] == [next(iter(params))]
        assert "1 to 50" in params["k"]["python_type"]["description"]
        assert params["mode"]["parameter_default"] == "auto"


def test_fewer_arguments_use_the_defaults_and_errors_are_plain_text(url) -> None:
    client = Client(url, verbose=False)
    got = client.predict("天猫双十一一共有几个品牌的销售额超过了一亿元？", api_name="/ask")
    assert "373" in got["answer"]
    for args, message in [(("q", None, "<b>5</b>"), "k must be a whole number from 1 to 50, not '<b>5</b>'"),
                          (("q", None, True), "k must be"), ((123,), "question must be text, not int"),
                          (("q", None, None, "fuzzy"), "not available")]:
        with pytest.raises(AppError) as info:
            client.predict(*args, api_name="/ask")
        text = str(info.value)
        assert message in text and "&lt;" not in text and "&#x27;" not in text and "\n" not in text.strip()
