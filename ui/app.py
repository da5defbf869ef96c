"""The Gradio app: `create_app()` builds the page and the API, `serve()` runs it, `launch()` is `rag serve`.

Limits (see docs/api.md): at most `RAG_CONCURRENCY` answers (default 8) are worked
on at once, shared by the page, `/ask` and `/chat`; up to `RAG_QUEUE_SIZE` more
(default 100) wait in the queue, and past that a request is turned away at once.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from . import offline  # noqa: F401 - before gradio: no analytics, version checks or telemetry
import gradio as gr

from rag.errors import RagError
from rag.evaluation.feedback import add_comment, feedback_path
from rag.live import LivePipeline
from rag.pipeline import Pipeline
from rag.settings import Settings

from .api import Api
from .api_docs import ApiBlocks, describe
from .auth import parse_auth, warn_if_open
from .guard import NamedEndpoints
from .limits import BodyLimit, env_int, max_body_bytes, max_upload_bytes
from .inputs import MAX_K, available_modes
from .openai_api import openai_router
from .backends import Backends
from .chat import Turn, chat_value, respond, stopped_turns, turn_sources
from .feedback import record_rating
from .kb_panel import kb_panel, wire as wire_kb_panel
from .library import Library
from .persist import settings_from_json, turns_from_json, turns_to_json
from .turn_status import status_html
from .render import h, sources_html
from .startup import open_live
from .status import answerer_label, index_html, mode_html

TITLE = "文档问答"
# System fonts only: the default theme's web fonts lack Chinese glyphs, and nothing may be fetched.
FONTS = ("system-ui", "-apple-system", "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
         "Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
# BrowserState encrypts what it keeps with this key. A fixed key keeps a conversation across server restarts;
# it protects nothing (the page itself holds the key), and there is nothing secret to protect.
STORAGE_SECRET = "rag-zh-page-storage"
HEAD = f"<script>{(Path(__file__).parent / 'page.js').read_text(encoding='utf-8')}</script>"
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
#rag-top { align-items: flex-start; flex-wrap: nowrap; }
#rag-tools { flex: 0 0 auto; width: auto; gap: 4px; }
.rag-status { font-size: .85em; color: var(--body-text-color-subdued); min-height: 1.2em; }
a.rag-cite { color: var(--color-accent); text-decoration: none; font-weight: 600; cursor: pointer; }
a.rag-cite:hover { text-decoration: underline; }
.rag-source.rag-flash { background: rgba(250, 204, 21, .25); transition: background .3s; }
.rag-upload-log { list-style: none; padding: 0; margin: .3em 0; font-size: .9em; }
.rag-up-bad { color: #b91c1c; } .rag-up-run { color: var(--body-text-color-subdued); }
.dark .rag-passage mark { background: #a16207; color: #fff; }
@media (max-width: 600px) {
  #rag-main { flex-direction: column; }
  #rag-main > div { min-width: 0 !important; width: 100%; }
  #rag-chat { height: 420px !important; }
  #rag-sources { max-height: none; }
  .rag-mode { font-size: .8em; }
  #rag-inputs { flex-wrap: wrap; }
  #rag-inputs > div:first-child { flex: 1 1 100% !important; }
}
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
    library = Library(source)
    info = pipeline.mode_info()
    limit = concurrency or concurrency_limit()
    examples = library.examples(library.default)

    saved_default = {"k": pipeline.settings.k, "mode": "auto", "backend": backends.names()[0]}
    feedback_file = feedback_path(pipeline.settings.index)  # the index folder, not one build inside it

    def answer(message: str, turns: list[Turn], k: float, mode: str, backend: str, base: str) -> Iterator[tuple]:
        try:
            chosen = library.backends(base or library.default).get(backend)
        except RagError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        update: tuple = ()
        for chat, sources, new_turns in respond(chosen, message, turns or [], int(k), None if mode == "auto" else mode):
            update = ("", chat, sources, new_turns)
            yield *update, gr.skip(), gr.skip()
        if update:  # the finished turn: say what answered, and keep the conversation in the browser
            yield *update, status_html(update[3]), turns_to_json(update[3])

    def switch(base: str) -> tuple:
        """A new conversation with base `base`: its examples, mode line and index details."""
        try:
            chosen = library.current(base)
            head, details = _header(title, chosen.mode_info()), _about(chosen)
            placeholder = _placeholder(chosen.mode_info())
        except RagError as exc:
            head, details, placeholder = _header(title, {}), h(str(exc)), h(str(exc))
        chat = gr.update(value=[], examples=[{"text": q} for q in library.examples(base)],
                         placeholder=placeholder)
        return chat, sources_html(), [], status_html([]), [], head, details

    def stopped(chat: list, turns: list[Turn]) -> tuple:
        """Keep what had streamed when stop was pressed, marked （已停止）."""
        kept = stopped_turns(chat, turns or [])
        if kept is None:
            return (gr.skip(),) * 5
        value = chat_value(kept, current().settings.max_question_chars)
        return value, sources_html(), kept, status_html(kept), turns_to_json(kept)

    def reset() -> tuple:
        return "", [], sources_html(), [], status_html([]), []

    def restore(saved: Any, settings: Any) -> tuple:
        restored = turns_from_json(saved)
        chosen = settings_from_json(settings, MAX_K, available_modes(current()), backends.names(), saved_default)
        last = restored[-1].answer if restored else None
        return (chat_value(restored, current().settings.max_question_chars), sources_html(last), restored,
                status_html(restored), chosen["k"], chosen["mode"], chosen["backend"])

    def show_sources(turns: list[Turn], evt: gr.SelectData) -> Any:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        html = turn_sources(turns or [], int(index)) if isinstance(index, int) else None
        return gr.skip() if html is None else html

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value if isinstance(evt.value, dict) else {}
        return str(value.get("text", ""))

    def rate(turns: list[Turn], evt: gr.LikeData) -> tuple:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = (turns or [])[int(index) // 2] if isinstance(index, int) and int(index) // 2 < len(turns or []) else None
        if turn is None or evt.liked is None or evt.liked == "":
            return gr.skip(), gr.skip()
        rating = "up" if evt.liked is True or evt.liked == "Like" else "down"
        row = record_rating(feedback_file, rating, turn)
        return row, gr.update(visible=True, value="")

    def comment(pending: dict | None, text: str) -> tuple:
        if pending and text.strip() and pending.get("id"):
            add_comment(feedback_file, pending["id"], text)
        return None, gr.update(visible=False, value="")

    with ApiBlocks(title=title, analytics_enabled=False, head=HEAD) as demo:
        turns = gr.State([])
        pending_rating = gr.State(None)
        saved_turns = gr.BrowserState([], storage_key="rag-conversation", secret=STORAGE_SECRET)
        saved_settings = gr.BrowserState({}, storage_key="rag-settings", secret=STORAGE_SECRET)
        with gr.Row(elem_id="rag-top"):
            header = gr.HTML(_header(title, info), elem_id="rag-header", js_on_load=None)
            with gr.Row(elem_id="rag-tools", equal_height=True):
                theme_btn = gr.Button("深色", size="sm", elem_id="rag-theme", min_width=48)
                lang_btn = gr.Button("English", size="sm", elem_id="rag-lang", min_width=48)
        with gr.Row(equal_height=False, elem_id="rag-main"):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    elem_id="rag-chat", show_label=False, height=560, examples=[{"text": q} for q in examples],
                    placeholder=_placeholder(info), latex_delimiters=[], sanitize_html=True, render_markdown=True,
                    allow_tags=False, feedback_options=("Like", "Dislike"), buttons=["copy"], autoscroll=True)
                status = gr.HTML(status_html([]), elem_id="rag-status", js_on_load=None)
                with gr.Row(visible=False, elem_id="rag-comment-row") as comment_row:
                    comment_box = gr.Textbox(placeholder="可以写一句意见（可选），按回车提交", show_label=False,
                                             scale=8, elem_id="rag-comment", max_length=2000)
                with gr.Row(equal_height=True, elem_id="rag-inputs"):
                    box = gr.Textbox(placeholder="输入问题，按回车发送", show_label=False, scale=8, lines=1,
                                     max_lines=6, autofocus=True, elem_id="rag-input", submit_btn=False)
                    send = gr.Button("发送", variant="primary", scale=1, min_width=64, elem_id="rag-send")
                    stop = gr.Button("停止", variant="stop", scale=1, min_width=64, elem_id="rag-stop")
                with gr.Row(equal_height=True, elem_id="rag-actions"):
                    new = gr.Button("新对话", size="sm", elem_id="rag-new")
                    export = gr.Button("导出 Markdown", size="sm", elem_id="rag-export")
                panel = kb_panel(library)
                with gr.Accordion("设置", open=False, elem_id="rag-settings"):
                    k, mode, backend = _settings_panel(pipeline, backends.names())
                with gr.Accordion("关于索引", open=False, elem_id="rag-about"):
                    about = gr.HTML(_about(pipeline), js_on_load=None)
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML(sources_html(), elem_id="rag-sources", js_on_load=None)

        inputs, outputs = [box, turns, k, mode, backend, panel.select], [box, chatbot, sources, turns, status, saved_turns]
        run = dict(fn=answer, inputs=inputs, outputs=outputs, concurrency_limit=limit, concurrency_id="answer",
                   api_visibility="private", show_progress="hidden")
        asked = [box.submit(**run), send.click(**run),
                 chatbot.example_select(pick_example, None, box, queue=False, api_visibility="private").then(**run)]
        stop.click(stopped, [chatbot, turns], [chatbot, sources, turns, status, saved_turns], cancels=asked,
                   queue=False, api_visibility="private")
        new.click(reset, None, outputs, cancels=asked, queue=False, api_visibility="private")
        chatbot.clear(reset, None, outputs, cancels=asked, queue=False, api_visibility="private")
        chatbot.select(show_sources, turns, sources, queue=False, api_visibility="private")
        chatbot.like(rate, turns, [pending_rating, comment_row], queue=False, api_visibility="private")
        comment_box.submit(comment, [pending_rating, comment_box], [pending_rating, comment_row], queue=False,
                           api_visibility="private")
        wire_kb_panel(panel, library, switch, [chatbot, sources, turns, status, saved_turns, header, about])
        export.click(None, [saved_turns], None, js="(saved) => window.ragExport(saved)", api_visibility="private")
        theme_btn.click(None, None, None, js="() => window.ragToggleTheme()", api_visibility="private")
        lang_btn.click(None, None, None, js="() => window.ragToggleLanguage()", api_visibility="private")
        for control in (k, mode, backend):
            control.change(lambda a, b, c: {"k": int(a), "mode": b, "backend": c}, [k, mode, backend],
                           saved_settings, queue=False, api_visibility="private")
        for fn, name in ((api.ask, "ask"), (api.chat, "chat")):
            describe(fn, gr.api(fn, api_name=name, concurrency_limit=limit, concurrency_id="answer"))
        # A rebuilt index is picked up without a restart: each page load describes the build being served.
        demo.load(lambda: (_header(title, current().mode_info()), _about(current())), None, [header, about],
                  queue=False, api_visibility="private")
        demo.load(restore, [saved_turns, saved_settings], [chatbot, sources, turns, status, k, mode, backend],
                  queue=False, api_visibility="private")
    demo.queue(default_concurrency_limit=limit, max_size=queue_size())
    # Mounted on Gradio's FastAPI app by serve(): it exists only once launch() has made it.
    demo.rag_routers = [openai_router(current, library, limit)]  # type: ignore[attr-defined]
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
          auth: tuple[str, str] | None = None, max_upload: int | None = None, max_files: int = 1) -> str:
    """Start the server (nothing is shared or sent anywhere); returns its URL. `block` waits for Ctrl+C."""
    from starlette.middleware import Middleware

    # Outermost first: oversized bodies are refused, then unknown by-name calls, before Gradio reads them.
    if max_upload is None:  # the page's knowledge-base upload, at the settings' default size
        max_upload = max_upload_bytes(int(Settings().upload_max_mb * 1024 * 1024))
    per_file = max_upload
    # One upload request may carry several files (each checked by Gradio against max_file_size).
    guards = [Middleware(BodyLimit, max_body=max_body_bytes(), max_upload=per_file * max(1, min(max_files, 10))),
              Middleware(NamedEndpoints)]
    try:
        _, url, _ = demo.launch(
            app_kwargs={"middleware": guards}, max_file_size=per_file, auth=auth,
            server_name=host, server_port=port, quiet=True, prevent_thread_lock=True, share=False, inbrowser=False,
            show_error=False, footer_links=["api"], run_history=False, enable_monitoring=False, mcp_server=False,
            ssr_mode=False, pwa=False, theme=theme(), css=CSS)
    except OSError as exc:
        raise RagError(f"cannot listen on {host}:{port} ({exc}): pass another --port, "
                       "or stop the program that uses it") from None
    for router in getattr(demo, "rag_routers", []):
        demo.app.include_router(router)  # before Gradio's own routes would not matter: none of them is /v1/...
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
    upload = max_upload_bytes(int(settings.upload_max_mb * 1024 * 1024))
    concurrency_limit(), queue_size(), max_body_bytes()  # a bad value fails before any work
    auth = parse_auth(settings.auth)
    live = open_live(settings, quiet=quiet)
    demo = create_app(live)
    warn_if_open(settings.host, auth)
    url = serve(demo, settings.host, settings.port, auth=auth, max_upload=upload, max_files=settings.upload_max_files)
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
