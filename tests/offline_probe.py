"""Run the server and a chat (or one CLI command) while recording every network call Python makes.

    python tests/offline_probe.py serve OUT.json --docs D --index I [--mode M] [--embed-model P]
    python tests/offline_probe.py cli OUT.json -- ask "问题" --index I ...

An audit hook, installed before anything else is imported, records socket connects,
sends, name lookups, binds and subprocess starts. `serve` starts `rag serve`'s app on
127.0.0.1, asks through gradio_client (/ask and the streaming /chat) and loads the
page, then writes {"events", "answers"} to OUT.json. Used by tests/test_reliability_offline.py,
also under strace and inside an empty network namespace.
"""
from __future__ import annotations

import json
import sys

EVENTS: list[dict] = []
_WATCH = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
          "socket.gethostbyaddr", "socket.bind", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"}


def _hook(event: str, args: tuple) -> None:
    if event in _WATCH:
        shown = [a if isinstance(a, (str, int, float, type(None))) else
                 list(a) if isinstance(a, tuple) else repr(a)[:200] for a in args]
        if event.startswith("socket.") and event not in ("socket.getaddrinfo", "socket.gethostbyname",
                                                          "socket.gethostbyaddr"):
            shown = shown[1:]  # drop the socket object
        EVENTS.append({"event": event, "args": shown})


if __name__ == "__main__":  # first thing, before anything that might open a socket is imported
    sys.addaudithook(_hook)

import argparse  # noqa: E402
import socket  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args: argparse.Namespace) -> dict:
    from ui.app import launch  # as `rag serve` does: first, so that it turns the hub's traffic off

    import httpx
    from gradio_client import Client

    from rag.settings import load_settings

    flags = {"docs": args.docs, "index": args.index, "mode": args.mode, "host": "127.0.0.1", "port": _free_port()}
    if args.embed_model:
        flags["embed_model"] = args.embed_model
    url = launch(load_settings(flags, env={}), quiet=True, block=False)
    client = Client(url, verbose=False)
    answers = [client.predict(q, api_name="/ask") for q in args.question]
    job = client.submit(args.question[0], api_name="/chat")
    streamed = [update for update in job]
    page = httpx.get(url, timeout=30)
    return {"url": url, "answers": answers, "chat_final": streamed[-1] if streamed else None,
            "page_status": page.status_code}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["serve", "cli"])
    ap.add_argument("out")
    ap.add_argument("--docs", nargs="+")
    ap.add_argument("--index")
    ap.add_argument("--mode", default="lexical")
    ap.add_argument("--embed-model")
    ap.add_argument("--question", action="append", default=[])
    ap.add_argument("rest", nargs="*")
    args = ap.parse_args()
    result: dict = {}
    code = 0
    try:
        if args.what == "serve":
            result = serve(args)
        else:
            from rag.cli import main as rag_main

            code = rag_main(args.rest)
    finally:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({**result, "code": code, "events": EVENTS}, f, ensure_ascii=False)
    return code


if __name__ == "__main__":
    import os

    code = main()
    sys.stdout.flush()
    os._exit(code)  # the server's threads would keep a normal exit waiting
