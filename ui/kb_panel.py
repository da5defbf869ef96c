"""The page's 知识库 panel: pick a base, create one, upload files, see and manage its documents.

The handlers are plain functions of a `Library`; `kb_panel()` lays out the components
and `wire()` connects them (the chat's own outputs are passed in, so a switch of base
also starts a new conversation with that base's example questions).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.errors import RagError

from .library import Library
from .render import h
from .uploads import SUFFIXES, Saved, remove_file, save_files

HEADERS = ["文件", "类型", "大小", "段落数", "状态"]
STAGES = {"tokenizing": "分词", "embedding": "向量化", "chunking": "切分", "parsing": "读取"}


@dataclass
class KbPanel:
    select: gr.Dropdown
    new_name: gr.Textbox
    create: gr.Button
    files: gr.File
    log: gr.HTML
    table: gr.Dataframe
    pick: gr.Dropdown
    delete: gr.Button
    reindex: gr.Button


def kb_panel(library: Library) -> KbPanel:
    """The components, inside whatever layout the caller has open."""
    select = gr.Dropdown(library.names(), value=library.default, label="知识库", elem_id="rag-kb",
                         interactive=True, allow_custom_value=False)
    with gr.Accordion("知识库：新建、上传、管理文档", open=False, elem_id="rag-kb-panel"):
        with gr.Row(equal_height=True):
            new_name = gr.Textbox(placeholder="新知识库的名称（字母、数字或中文）", show_label=False, scale=4,
                                  elem_id="rag-kb-name", max_length=64)
            create = gr.Button("新建知识库", size="sm", scale=1, elem_id="rag-kb-create")
        files = gr.File(file_count="multiple", file_types=[*SUFFIXES, ".zip"], elem_id="rag-upload",
                        label=f"上传文件（{' '.join(SUFFIXES)}，可多选或一个 .zip）")
        log = gr.HTML("", elem_id="rag-upload-log", js_on_load=None)
        table = gr.Dataframe(headers=HEADERS, value=_rows(library, library.default), interactive=False,
                             elem_id="rag-docs", wrap=True)
        with gr.Row(equal_height=True):
            pick = gr.Dropdown(_uploaded(library, library.default), label="上传的文件", scale=3,
                               elem_id="rag-doc-pick", interactive=True)
            delete = gr.Button("删除所选文件", size="sm", variant="stop", scale=1, elem_id="rag-doc-delete")
            reindex = gr.Button("重新索引", size="sm", scale=1, elem_id="rag-reindex")
    return KbPanel(select, new_name, create, files, log, table, pick, delete, reindex)


def _rows(library: Library, name: str) -> list[list[Any]]:
    try:
        return library.document_rows(name)
    except RagError:
        return []


def _uploaded(library: Library, name: str) -> list[str]:
    try:
        folder = library.uploads(name)
    except RagError:
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def log_html(lines: list[tuple[bool | None, str]]) -> str:
    """One line per file or step: ✓ done, ✗ refused, … working."""
    marks = {True: "✓", False: "✗", None: "…"}
    items = "".join(f'<li class="rag-up-{"ok" if ok else "bad" if ok is False else "run"}">{marks[ok]} {h(text)}</li>'
                    for ok, text in lines)
    return f'<ul class="rag-upload-log">{items}</ul>'


def _saved_lines(saved: list[Saved]) -> list[tuple[bool | None, str]]:
    return [(s.ok, f"{s.name}：{s.message}") for s in saved]


def reindex_steps(library: Library, name: str, lines: list[tuple[bool | None, str]]) -> Iterator[str]:
    """Rebuild base `name` in a thread, yielding the log with a progress line until it is done."""
    state: dict[str, Any] = {"stage": "", "done": 0, "total": 0}

    def progress(stage: str, done: int, total: int) -> None:
        state.update(stage=stage, done=done, total=total)

    def work() -> None:
        try:
            state["report"] = library.reindex(name, progress)
        except RagError as exc:
            state["error"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page instead of a silent thread death
            state["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=work, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    while thread.is_alive():
        stage = STAGES.get(state["stage"], state["stage"])
        step = f"：{stage} {state['done']}/{state['total']}" if state["total"] else ""
        yield log_html([*lines, (None, f"正在建索引{step}（{time.perf_counter() - t0:.0f} 秒）")])
        thread.join(0.3)
    if "error" in state:
        lines.append((False, f"索引失败：{state['error']}"))
    elif state.get("report") is None:
        lines.append((True, "知识库已没有文档"))
    else:
        r = state["report"]
        lines.append((True, f"索引完成：{r.documents} 篇文档，{r.chunks} 个段落，用时 {time.perf_counter() - t0:.1f} 秒"
                      "，现在就可以提问"))
        lines.extend((False, f"{line}") for line in r.skipped)
    yield log_html(lines)


def wire(panel: KbPanel, library: Library, on_switch: Any, switch_outputs: list[Any]) -> None:
    """Connect the panel. `on_switch(name)` returns the chat's new values for `switch_outputs`."""

    def after(name: str) -> tuple:
        choices = _uploaded(library, name)
        return gr.update(value=_rows(library, name)), gr.update(choices=choices, value=None)

    def switch(name: str) -> tuple:
        return (*on_switch(name), *after(name))

    def create(text: str) -> tuple:
        try:
            base = library.create(text)
        except RagError as exc:
            return gr.skip(), gr.update(), log_html([(False, str(exc))])
        return (gr.update(choices=library.names(), value=base.name), "",
                log_html([(True, f"已新建知识库“{base.name}”：上传文件后即可提问")]))

    def upload(paths: list[str] | None, name: str) -> Iterator[tuple]:
        if not paths:
            return
        try:
            saved = save_files(paths, library.uploads(name), library.limits())
        except (RagError, OSError) as exc:
            yield log_html([(False, f"上传失败：{exc}")]), gr.skip(), gr.skip(), None
            return
        lines = _saved_lines(saved)
        if not any(s.ok for s in saved):
            yield log_html(lines), gr.skip(), gr.skip(), None
            return
        for html in reindex_steps(library, name, lines):
            yield html, gr.skip(), gr.skip(), gr.skip()
        yield (html, *after(name), None)

    def delete(name: str, file: str | None) -> Iterator[tuple]:
        if not file or not remove_file(library.uploads(name), file):
            yield log_html([(False, "请先在“上传的文件”里选一个文件")]), gr.skip(), gr.skip()
            return
        html = ""
        for html in reindex_steps(library, name, [(True, f"已删除 {file}")]):
            yield html, gr.skip(), gr.skip()
        yield (html, *after(name))

    def reindex(name: str) -> Iterator[tuple]:
        html = ""
        for html in reindex_steps(library, name, []):
            yield html, gr.skip(), gr.skip()
        yield (html, *after(name))

    private = dict(api_visibility="private")
    manage = [panel.log, panel.table, panel.pick]
    panel.select.change(switch, panel.select, [*switch_outputs, panel.table, panel.pick],
                        queue=False, **private)
    panel.create.click(create, panel.new_name, [panel.select, panel.new_name, panel.log], queue=False, **private)
    panel.new_name.submit(create, panel.new_name, [panel.select, panel.new_name, panel.log], queue=False, **private)
    panel.files.upload(upload, [panel.files, panel.select], [*manage, panel.files], concurrency_id="kb-build",
                       concurrency_limit=1, show_progress="hidden", **private)
    panel.delete.click(delete, [panel.select, panel.pick], manage, concurrency_id="kb-build", concurrency_limit=1,
                       show_progress="hidden", **private)
    panel.reindex.click(reindex, panel.select, manage, concurrency_id="kb-build", concurrency_limit=1,
                        show_progress="hidden", **private)
