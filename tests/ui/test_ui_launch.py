"""Starting the server: `rag serve`, building a missing index with progress, a taken port, no outbound traffic."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("gradio")
from ui_helpers import corpus_settings, free_port, gold, has_facts  # noqa: E402  (first: it imports ui)
from gradio_client import Client  # noqa: E402

from rag.errors import RagError  # noqa: E402
from rag.settings import PROJECT_ROOT  # noqa: E402
from ui.startup import open_live  # noqa: E402

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

# Runs in a fresh interpreter so the socket functions are watched before gradio is even imported.
NO_NETWORK_SCRIPT = textwrap.dedent("""
    import ipaddress, json, socket, sys
    seen = []

    def remote(host):
        try:
            return not ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return str(host) not in ("localhost", "")

    real_connect, real_connect_ex, real_gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and remote(address[0]):
            seen.append(["connect", str(address)])
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and remote(address[0]):
            seen.append(["connect", str(address)])
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and remote(host if isinstance(host, str) else host.decode()):
            seen.append(["resolve", str(host)])
        return real_gai(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

    import urllib.request
    from rag.settings import load_settings
    from ui.app import launch  # first, as in `rag serve`
    from gradio_client import Client

    settings = load_settings(json.loads(sys.argv[1]), env={})
    url = launch(settings, quiet=True, block=False)
    page = urllib.request.urlopen(url, timeout=30).read().decode()
    client = Client(url, verbose=False)
    answer = client.predict(sys.argv[2], api_name="/ask")
    streamed = client.submit(sys.argv[2], api_name="/chat").result()
    print(json.dumps({"seen": seen, "answer": answer["answer"], "streamed": streamed["answer"], "page": len(page)}))
""")


def test_nothing_is_sent_anywhere_while_starting_and_answering(tmp_path) -> None:
    settings = corpus_settings(tmp_path)
    flags = {"docs": list(settings.docs), "index": settings.index, "mode": "lexical", "port": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_", "HF_", "RAG_"))}  # the defaults
    question, facts = gold()["q008"]
    run = subprocess.run([sys.executable, "-c", NO_NETWORK_SCRIPT, json.dumps(flags), question], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["seen"] == []
    assert has_facts(result["answer"], facts) and result["streamed"] == result["answer"] and result["page"] > 0


def test_a_missing_index_is_built_first_with_visible_progress(tmp_path, capsys) -> None:
    settings = corpus_settings(tmp_path, build=False)
    live = open_live(settings)
    err = capsys.readouterr().err
    assert "building the index first" in err and "tokenizing" in err and "100%" in err and "index built in" in err
    assert live.current().mode_info()["documents"] == 2
    open_live(settings)  # built now: silent
    assert capsys.readouterr().err == ""


def test_a_taken_port_is_a_one_line_error(tmp_path) -> None:
    from ui.app import launch

    settings = corpus_settings(tmp_path).replace(port=free_port())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.port))
        taken.listen()
        with pytest.raises(RagError, match=f"cannot listen on 127.0.0.1:{settings.port}.*--port"):
            launch(settings, quiet=True, block=False)


def test_rag_serve_starts_in_seconds_with_a_built_index(tmp_path) -> None:
    settings = corpus_settings(tmp_path)
    port = free_port()
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--index", settings.index, "--docs", *settings.docs,
           "--mode", "lexical", "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        startup = time.perf_counter() - t0
        assert f"rag: chat and API on http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
        question, facts = gold()["q001"]
        assert has_facts(Client(f"http://127.0.0.1:{port}/", verbose=False).predict(question, api_name="/ask")["answer"],
                         facts)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "startup.json").write_text(json.dumps({"startup_s": round(startup, 2), "line": line.strip()}),
                                                encoding="utf-8")
        assert startup < 20
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
