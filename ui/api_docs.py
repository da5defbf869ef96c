"""What the Gradio API says about itself (`Client.view_api()`, the page's API view), and calls with fewer arguments.

`gr.api` describes an endpoint from its docstring but leaves each parameter's
description empty: `describe()` fills them in. Gradio rejects a call that sends
fewer values than the endpoint has parameters (and the client sees only
`{"error": null}`): `ApiBlocks` fills in the defaults of the missing trailing ones.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Mapping

from . import offline  # noqa: F401 - before gradio
import gradio as gr

from rag.settings import MAX_K, MIN_K

PARAMETERS = {
    "question": "the question, in Chinese or English (required)",
    "message": "the question, in Chinese or English (required)",
    "history": 'earlier turns for follow-ups: [{"role": "user"|"assistant", "content": "..."}, ...] '
               "or [user, assistant] pairs; default: none",
    "k": f"passages to retrieve, a whole number from {MIN_K} to {MAX_K}; default: the server's k (5 unless configured)",
    "mode": "retrieval mode: auto, lexical, dense or hybrid (dense and hybrid only where the server has a "
            "vector model); default: auto",
}


def describe(fn: Callable[..., Any], dependency: Any, texts: Mapping[str, str] = PARAMETERS) -> None:
    """Give each parameter of the endpoint `dependency` (what gr.api returned for `fn`) its description."""
    blocks = gr.context.get_blocks_context()
    block_fn = blocks.fns.get(dependency["id"]) if blocks is not None else None
    names = list(inspect.signature(fn).parameters)
    for name, component in zip(names, block_fn.inputs if block_fn else []):
        if name in texts:
            component._api_info = {**component._api_info, "additional_description": texts[name]}


class ApiBlocks(gr.Blocks):
    """gr.Blocks whose `gr.api` endpoints may be called with only their leading (required) arguments."""

    def validate_inputs(self, block_fn: Any, inputs: list[Any]) -> None:
        from gradio.components.api_component import Api

        missing = block_fn.inputs[len(inputs):]
        if missing and all(isinstance(c, Api) for c in missing):
            inputs.extend(c.value for c in missing)  # gr.api made each Api component with its parameter's default
        super().validate_inputs(block_fn, inputs)
