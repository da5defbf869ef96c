"""The Gradio app: `create_app()` builds the page and the API, `serve()` runs it, `launch()` is `rag serve`.

Limits (see docs/api.md): at most `RAG_CONCURRENCY` answers (default 8) are worked
on at once, shared by the page, `/ask` and `/chat`; up to `RAG_QUEUE_SIZE` more
(default 100) wait in the queue, and past that a request is turned away at once.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import Any, Iterator

from . import offline  # noqa: F401 - before gradio: no analytics, version checks or telemetry
import gradio as gr

from rag.errors import RagError
from rag.live import LivePipeline
from rag.pipeline import Pipeline
from rag.settings import Settings

from .api import Api
from .auth import parse_auth, warn_if_open
from .guard import NamedEndpoints
from .limits import BodyLimit, env_int, max_body_bytes, max_upload_bytes
from .inputs import MAX_K, available_modes
from .backends import Backends
from .chat import Turn, respond, turn_sources
from .examples import example_questions
from .render import h, sources_html
from .startup import open_live
from .status import answerer_label, index_html, mode_html

TITLE = "文档问答"
# System fonts only: the default theme's web fonts lack Chinese glyphs, and nothing may be fetched.
FONTS = ("system-ui", "-apple-system", "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
         "Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
CSS = """
.rag-header h1 { font-size: 1.5em; margin: 0 0 .2em 0; }
.rag-mode { font-size: .9em; color: var(--body-text-color-subdued); }
.rag-notes { font-size: .85em; color: #b45309; margin: .2em 0 0 1.2em; padding: 0; }
.rag-sources-title { font-weight: 600; margin-bottom: .4em; }
.rag-list { list-style: none; padding: 0; margin: 0; }
.rag-source { margin: 0 0 1em 0; padding-left: .6em; border-left: 3px solid var(--color-accent); }
.rag-n { font-weight: 600; color: var(--color-accent); }
.rag-title { font-weight: 600; }
.rag-host, .rag-url, .rag-section, .rag-muted { color: var(--body-text-color-subdued); font-size: .85em; }
.rag-url { word-break: break-all; }
.rag-passage { margin: .3em 0 0 0; padding: 0; border: none; white-space: pre-wrap; font-size: .92em; line-height: 1.6; }
.rag-passage mark { background: #fde68a; color: #111; padding: 0 .1em; border-radius: 2px; }
.rag-index th { text-align: left; padding-right: 1em; white-space: nowrap; font-weight: 500; }
.rag-index td { word-break: break-all; }
#rag-sources { max-height: 640px; overflow-y: auto; }
"""


def concurrency_limit() -> int:
    return env_int("RAG_CONCURRENCY", 8, 1)


def queue_size() -> int:
    return env_int("RAG_QUEUE_SIZE", 100, 1)


def theme() -> gr.themes.Base:
    return gr.themes.Default(primary_hue="blue", font=FONTS, font_mono=MONO)


def create_app(source: Pipeline | LivePipeline, title: str = TITLE, concurrency: int | None = None) -> gr.Blocks:
    """The chat page and the `/ask` and `/chat` API over `source` (a LivePipeline follows index rebuilds)."""
    current = source.current if isinstance(source, LivePipeline) else (lambda: source)
    pipeline = current()
    backends, api = Backends(current), Api(current)
    info = pipeline.mode_info()
    limit = concurrency or concurrency_limit()
    examples = example_questions(list(pipeline.index.documents.values()), lambda q: pipeline.search(q))

    def answer(message: str, turns: list[Turn], k: float, mode: str, backend: str) -> Iterator[tuple]:
        chosen = backends.get(backend)
        for chat, sources, new_turns in respond(chosen, message, turns or [], int(k), None if mode == "auto" else mode):
            yield "", chat, sources, new_turns

    def reset() -> tuple:
        return "", [], sources_html(), []

    def show_sources(turns: list[Turn], evt: gr.SelectData) -> Any:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        html = turn_sources(turns or [], int(index)) if isinstance(index, int) else None
        return gr.skip() if html is None else html

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value if isinstance(evt.value, dict) else {}
        return str(value.get("text", ""))

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        turns = gr.State([])
        header = gr.HTML(_header(title, info), elem_id="rag-header", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    elem_id="rag-chat", show_label=False, height=560, examples=[{"text": q} for q in examples],
                    placeholder=_placeholder(info), latex_delimiters=[], sanitize_html=True, render_markdown=True,
                    allow_tags=False, feedback_options=None, buttons=["copy"], autoscroll=True)
                with gr.Row(equal_height=True):
                    box = gr.Textbox(placeholder="输入问题，按回车发送", show_label=False, scale=8, lines=1,
                                     max_lines=6, autofocus=True, elem_id="rag-input", submit_btn=False)
                    send = gr.Button("发送", variant="primary", scale=1, min_width=72, elem_id="rag-send")
                    new = gr.Button("新对话", scale=1, min_width=72, elem_id="rag-new")
                with gr.Accordion("设置", open=False, elem_id="rag-settings"):
                    k, mode, backend = _settings_panel(pipeline, backends.names())
                with gr.Accordion("关于索引", open=False, elem_id="rag-about"):
                    about = gr.HTML(_about(pipeline), js_on_load=None)
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML(sources_html(), elem_id="rag-sources", js_on_load=None)

        inputs, outputs = [box, turns, k, mode, backend], [box, chatbot, sources, turns]
        run = dict(fn=answer, inputs=inputs, outputs=outputs, concurrency_limit=limit, concurrency_id="answer",
                   api_visibility="private", show_progress="hidden")
        asked = [box.submit(**run), send.click(**run),
                 chatbot.example_select(pick_example, None, box, queue=False, api_visibility="private").then(**run)]
        new.click(reset, None, outputs, cancels=asked, queue=False, api_visibility="private")
        chatbot.clear(reset, None, outputs, cancels=asked, queue=False, api_visibility="private")
        chatbot.select(show_sources, turns, sources, queue=False, api_visibility="private")
        gr.api(api.ask, api_name="ask", concurrency_limit=limit, concurrency_id="answer")
        gr.api(api.chat, api_name="chat", concurrency_limit=limit, concurrency_id="answer")
        # A rebuilt index is picked up without a restart: each page load describes the build being served.
        demo.load(lambda: (_header(title, current().mode_info()), _about(current())), None, [header, about],
                  queue=False, api_visibility="private")
    demo.queue(default_concurrency_limit=limit, max_size=queue_size())
    return demo


def _settings_panel(pipeline: Pipeline, backends: list[str]) -> tuple[gr.Slider, gr.Radio, gr.Radio]:
    """What a power user may change: top-k, the retrieval mode, the answer backend (when there is a choice)."""
    modes = available_modes(pipeline)
    k = gr.Slider(1, MAX_K, value=pipeline.settings.k, step=1, label="检索段落数（top-k）")
    mode = gr.Radio(["auto", *modes], value="auto", label="检索方式", info=f"auto 即 {pipeline.default_mode}"
                    + ("" if len(modes) > 1 else "；dense / hybrid 需要向量模型，当前不可用"))
    backend = gr.Radio(backends, value=backends[0], label="回答方式", visible=len(backends) > 1,
                       info="、".join(f"{n}：{answerer_label(n)}" for n in backends))
    return k, mode, backend


def _header(title: str, info: dict) -> str:
    return f'<div class="rag-header"><h1>{h(title)}</h1>{mode_html(info)}</div>'


def _about(pipeline: Pipeline) -> str:
    return index_html(pipeline.mode_info(), pipeline.index.manifest, pipeline.index.path)


def _placeholder(info: dict) -> str:
    return (f"**向 {info.get('documents', 0):,} 篇文档提问**\n\n"
            "回答只依据这些文档，每句都标注来源 \\[n\\]，原文段落列在“来源”里。可以接着追问，例如“那……呢？”。")


def serve(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = False,
          auth: tuple[str, str] | None = None) -> str:
    """Start the server (nothing is shared or sent anywhere); returns its URL. `block` waits for Ctrl+C."""
    from starlette.middleware import Middleware

    # Outermost first: oversized bodies are refused, then unknown by-name calls, before Gradio reads them.
    guards = [Middleware(BodyLimit, max_body=max_body_bytes(), max_upload=max_upload_bytes()), Middleware(NamedEndpoints)]
    try:
        _, url, _ = demo.launch(
            app_kwargs={"middleware": guards}, max_file_size=max_upload_bytes(), auth=auth,
            server_name=host, server_port=port, quiet=True, prevent_thread_lock=True, share=False, inbrowser=False,
            show_error=False, footer_links=["api"], run_history=False, enable_monitoring=False, mcp_server=False,
            ssr_mode=False, pwa=False, theme=theme(), css=CSS)
    except OSError as exc:
        raise RagError(f"cannot listen on {host}:{port} ({exc}): pass another --port, "
                       "or stop the program that uses it") from None
    if block:
        wait_for_ctrl_c(demo)
    return url


def wait_for_ctrl_c(demo: gr.Blocks) -> None:
    """Serve until Ctrl+C, then stop at once: open streams (a connected page) are not waited for."""
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("rag: stopping", file=sys.stderr, flush=True)
        # Cutting open streams short makes uvicorn log a CancelledError traceback: expected, not an error.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        if getattr(demo, "server", None) is not None:
            demo.server.force_exit = True  # uvicorn: do not wait for open connections to finish
        demo.close(verbose=False)


def launch(settings: Settings, quiet: bool = False, block: bool = True) -> str:
    """`rag serve`: open (or build) the index, build the page, listen on settings.host:settings.port."""
    t0 = time.perf_counter()
    concurrency_limit(), queue_size(), max_body_bytes(), max_upload_bytes()  # a bad value fails before any work
    auth = parse_auth(settings.auth)
    live = open_live(settings, quiet=quiet)
    demo = create_app(live)
    warn_if_open(settings.host, auth)
    url = serve(demo, settings.host, settings.port, auth=auth)
    info = live.current().mode_info()
    print(f"rag: chat and API on {url} ({info['documents']} documents, {info['chunks']} chunks · "
          f"{info['retrieval']} retrieval · {info['answerer']} answers), index and page ready in {time.perf_counter() - t0:.1f}s; "
          "Ctrl+C stops it", flush=True)
    if not quiet:
        for note in info["notes"]:
            print(f"note: {note}", flush=True)
    if block:
        wait_for_ctrl_c(demo)
    return url
