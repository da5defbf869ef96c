"""A local causal LM through transformers: chat template in, streamed text out.

Loading is lazy (first `stream`), once per instance, and never downloads: the model
must already be on disk (`availability.find_local_model`), and every
`from_pretrained` call is `local_files_only=True` with `HF_HUB_OFFLINE=1`.

Device and precision: "auto" picks CUDA when present, else CPU. On CUDA weights load
in bfloat16 (float16 on GPUs without bf16); on CPU in float32, because bf16 matmuls
are slower than fp32 on CPUs without AMX/AVX512-BF16 and a 1.5B model in fp32
(about 6 GB) fits ordinary RAM.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import BackendError, MissingDependency, ModelUnavailable
from rag.types import Message
from rag.llm.availability import find_local_model
from rag.llm.base import GenerationSettings, as_chat, one_line

DEFAULT_MODEL = "Qwen/Qwen2.5-1.5B-Instruct"
_EXTRA = "models"  # the pip extra (pyproject.toml) that brings torch and transformers


def _import_torch_transformers() -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers reads it at import
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependency(exc.name or "transformers", _EXTRA) from None
    return torch, transformers


def pick_device(device: str, torch: Any) -> str:
    """'auto' -> 'cuda' when a GPU is usable, else 'cpu'; anything else is taken as given."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendError(f"device '{device}' was asked for but torch sees no CUDA GPU: use --device cpu")
    return device


def pick_dtype(device: str, torch: Any) -> Any:
    """bfloat16 (or float16) on a GPU, float32 elsewhere; see the module docstring for why."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


class TransformersGenerator:
    """`Generator` backed by a local chat model (hub name in the local cache, or a folder)."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "auto", max_new_tokens: int = 512,
                 temperature: float = 0.0, cache_dir: str | None = None) -> None:
        self.model = model
        self.device = device
        self.settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature)
        self.cache_dir = cache_dir
        self.name = f"transformers:{model}"
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, str] | None = None  # (tokenizer, model, device)

    def load(self) -> tuple[Any, Any, str]:
        """(tokenizer, model, device), loading them on the first call. Call it at startup to
        fail early (`ModelUnavailable`) and spare the first question the load time."""
        # A lock, because the web UI may ask two questions before the first load finishes.
        with self._lock:
            if self._loaded is None:
                path = find_local_model(self.model, self.cache_dir)  # fast, before the heavy imports
                self._loaded = self._load_from(path)
            return self._loaded

    def _load_from(self, path: Path) -> tuple[Any, Any, str]:
        torch, transformers = _import_torch_transformers()
        device = pick_device(self.device, torch)
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            if not tokenizer.chat_template:
                raise BackendError(f"model '{self.model}' has no chat template: use an instruction-tuned (chat) model")
            model = transformers.AutoModelForCausalLM.from_pretrained(
                str(path), local_files_only=True, dtype=pick_dtype(device, torch))
            model.to(device)  # inside the try: a GPU out of memory is a RuntimeError
        except ImportError as exc:  # a library this model's code needs (sentencepiece, ...)
            raise MissingDependency(exc.name or "transformers", _EXTRA) from None
        except OSError as exc:  # a file transformers needs is missing or unreadable
            raise ModelUnavailable(f"cannot load model '{self.model}' from {path}: {one_line(exc)}") from None
        except (ValueError, KeyError, RuntimeError) as exc:
            raise BackendError(f"cannot load model '{self.model}' from {path}: {one_line(exc)}") from None
        model.eval()
        return tokenizer, model, device

    def encode(self, messages: list[Message]) -> dict[str, Any]:
        """The model inputs (`input_ids`, `attention_mask`) for `messages`, on the model's device.
        Control tokens inside message text (`<|im_end|>`) are encoded as plain text, so text
        cannot forge a turn even where `rag.answer.prompting.neutralize` was not applied."""
        tokenizer, _, device = self.load()
        chat = as_chat(messages)
        try:
            enc = self._apply_template(tokenizer, chat)
        except Exception as exc:  # jinja's TemplateError and friends; the template is model data
            if chat[0]["role"] != "system":
                raise BackendError(f"the chat template of '{self.model}' failed: {one_line(exc)}") from None
            # Some templates (Gemma) refuse a system turn: fold it into the first user turn.
            try:
                enc = self._apply_template(tokenizer, _fold_system(chat))
            except Exception as exc2:
                raise BackendError(f"the chat template of '{self.model}' failed: {one_line(exc2)}") from None
        return {"input_ids": enc["input_ids"].to(device), "attention_mask": enc["attention_mask"].to(device)}

    @staticmethod
    def _apply_template(tokenizer: Any, chat: list[dict[str, str]]) -> Any:
        return tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_dict=True,
                                             return_tensors="pt", sanitize_control_tokens=True)

    def prompt_text(self, messages: list[Message]) -> str:
        """The exact text the model is given for `messages`, special tokens included (for debugging)."""
        tokenizer, _, _ = self.load()
        return str(tokenizer.decode(self.encode(messages)["input_ids"][0], skip_special_tokens=False))

    def generation_kwargs(self, messages: list[Message]) -> dict[str, Any]:
        """Everything `model.generate` gets except the streamer and the stop signal."""
        tokenizer, model, _ = self.load()
        eos = _as_list(model.generation_config.eos_token_id) + _as_list(tokenizer.eos_token_id)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (eos[0] if eos else None)
        kwargs: dict[str, Any] = dict(self.encode(messages), max_new_tokens=self.settings.max_new_tokens,
                                      eos_token_id=sorted(set(eos)) or None, pad_token_id=pad)
        if self.settings.greedy:
            # Naming do_sample=False keeps the model's own sampling defaults (top_p, ...) from warning.
            kwargs["do_sample"] = False
        else:
            kwargs.update(do_sample=True, temperature=self.settings.temperature)
        return kwargs

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Generate in a background thread and yield text as the streamer decodes it."""
        tokenizer, model, _ = self.load()  # first: a missing model fails before torch is imported
        _, transformers = _import_torch_transformers()
        kwargs = self.generation_kwargs(messages)
        streamer = transformers.TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                model.generate(**kwargs, streamer=streamer,
                               stopping_criteria=transformers.StoppingCriteriaList([_StopWhen(stop)]))
            except BaseException as exc:  # re-raised in the caller's thread below
                failure.append(exc)
                streamer.end()  # unblocks the loop below, which would otherwise wait forever

        thread = threading.Thread(target=run, name="rag-generate", daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            stop.set()  # the consumer may have stopped early: end generation at the next token
            thread.join()
        if failure:
            raise BackendError(f"generation with '{self.model}' failed: "
                               f"{type(failure[0]).__name__}: {one_line(failure[0])}")


class _StopWhen:
    """A stopping criterion that ends generation once `event` is set. transformers only
    calls it, so the abstract base class (a heavy import) is not needed."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool,
                          device=input_ids.device)


def _fold_system(chat: list[dict[str, str]]) -> list[dict[str, str]]:
    system, rest = chat[0]["content"], [dict(m) for m in chat[1:]]
    for m in rest:
        if m["role"] == "user":
            m["content"] = f"{system}\n\n{m['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]
