"""/v1 answers share the server's concurrency limit (RAG_CONCURRENCY): past it, an OpenAI-shaped 429."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("gradio")
from ui_helpers import corpus_settings, gold, running  # noqa: E402

from rag.pipeline import Pipeline  # noqa: E402


class Slow(Pipeline):
    def stream(self, question, *args, **kwargs):
        for piece in super().stream(question, *args, **kwargs):
            time.sleep(0.3)
            yield piece


def post(url: str, body: dict) -> tuple[int, dict | str]:
    request = urllib.request.Request(f"{url.rstrip('/')}/v1/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            text = r.read().decode()
            return r.status, text if body.get("stream") else json.loads(text)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_second_answer_past_the_limit_is_told_to_retry(tmp_path) -> None:
    settings = corpus_settings(tmp_path, hostile=False)
    question = next(iter(gold().values()))[0]
    body = {"model": "default", "messages": [{"role": "user", "content": question}]}
    with running(Slow.open(settings, build_if_missing=False), concurrency=1) as url:
        first: dict = {}
        worker = threading.Thread(target=lambda: first.update(r=post(url, {**body, "stream": True})))
        worker.start()
        time.sleep(0.4)  # the first answer is streaming now
        status, err = post(url, body)
        worker.join(30)
        assert status == 429 and err["error"]["type"] == "rate_limit_exceeded", err
        assert "RAG_CONCURRENCY=1" in err["error"]["message"]
        assert first["r"][0] == 200 and "[DONE]" in first["r"][1]
        status, ok = post(url, body)  # the slot was given back when the stream ended
        assert status == 200 and ok["choices"][0]["message"]["content"]
