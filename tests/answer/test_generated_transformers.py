"""The transformers backend through the whole pipeline, with a tiny random chat model built here.

A random model writes garbage, so what is tested is the machinery around it: the
real prompt reaches the real model, its text streams out, the checker reads it, and
nothing unsupported survives (the extractive answer takes over).
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_models import make_tiny_chat_model

from rag.index.build import build_index
from rag.pipeline import Pipeline
from rag.settings import load_settings
from rag.types import Answer, Message

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "天猫双11有多少品牌成交额破亿？"


@pytest.fixture(scope="module")
def extractive(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    settings = load_settings({"docs": [str(ROOT / "seeds")], "index": str(tmp_path_factory.mktemp("idx")),
                              "mode": "lexical"}, env={})
    build_index(settings)
    return Pipeline.open(settings)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt"))
    return make_tiny_chat_model(tmp_path_factory.mktemp("tiny-chat"), seed + QUESTION)


@pytest.fixture(scope="module")
def pipe(extractive: Pipeline, tiny_model: Path) -> Pipeline:
    settings = extractive.settings.replace(answerer="transformers", llm_model=str(tiny_model), device="cpu")
    return Pipeline(extractive.index, settings)


def test_the_tiny_model_answers_through_the_pipeline(pipe: Pipeline, extractive: Pipeline) -> None:
    assert pipe.mode_info()["answerer"] == f"transformers:{pipe.settings.llm_model}" and not pipe.notes
    pieces = list(pipe.stream(QUESTION))
    deltas, a = pieces[:-1], pieces[-1]
    assert isinstance(a, Answer) and len(deltas) > 1 and all(isinstance(d, str) and d for d in deltas)
    streamed = "".join(deltas)
    assert len(streamed) > 20  # the model's own (random) text, as it was produced
    # Garbage has no supported sentence: the checker says so, and the extractive answer replaces it.
    assert {"checked_sentences", "checked_numbers", "supported", "dropped", "bad_markers"} <= set(a.check)
    assert a.check["supported"] == 0 and a.check["fallback"] == "extractive"
    assert all(d["reason"] in ("no_marker", "bad_marker", "not_in_passage", "figure_not_bound")
               for d in a.check["dropped"])
    expected = extractive.ask(QUESTION)
    assert a.answer == expected.answer and "373" in a.answer and a.citations == expected.citations
    assert streamed not in a.answer and a.notes[-1].startswith("extractive answer: ")


def test_the_prompt_the_model_got_is_the_packed_passages(pipe: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = pipe.answerer.generator
    seen: list[list[Message]] = []
    real = gen.stream
    monkeypatch.setattr(gen, "stream", lambda messages: seen.append(messages) or real(messages))
    pipe.ask(QUESTION)
    prompt = gen.prompt_text(seen[0])
    hits = pipe.search(QUESTION)
    assert prompt.count("<|im_start|>") == 3  # system, user, and the generation prompt
    assert '<passage id="1"' in prompt and hits[0].chunk.text in prompt
    assert prompt.rstrip().endswith(f"问题：{QUESTION}<|im_end|>\n<|im_start|>assistant")
    assert "[UNK]" not in prompt


def test_a_follow_up_is_rewritten_by_rule_when_the_model_writes_garbage(pipe: Pipeline) -> None:
    history = [Message("user", "京东平台AI学习机的成交额增长了多少？"),
               Message("assistant", "AI学习机、3D打印机成交额同比增长均超10倍。[1]")]
    a = pipe.ask("那图书呢？", history)
    assert a.check["rewrite"]["by"] == "rule" and "图书" in a.check["rewrite"]["question"]
    assert "50倍" in a.answer  # retrieval used the rule's standalone question


def test_a_missing_model_is_reported_at_once_and_answers_stay_extractive(extractive: Pipeline,
                                                                         tmp_path: Path) -> None:
    start = time.monotonic()
    settings = extractive.settings.replace(answerer="transformers", llm_model=str(tmp_path / "no-model"))
    pipe = Pipeline(extractive.index, settings)
    assert time.monotonic() - start < 5
    assert pipe.mode_info()["answerer"] == "extractive"
    assert len(pipe.notes) == 1 and pipe.notes[0].startswith("extractive answers: no model folder at")
    assert pipe.ask(QUESTION).answer == extractive.ask(QUESTION).answer


def test_a_hub_name_not_in_the_cache_is_reported_at_once(extractive: Pipeline, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = extractive.settings.replace(answerer="transformers", llm_model="Qwen/Qwen2.5-1.5B-Instruct")
    start = time.monotonic()
    pipe = Pipeline(extractive.index, settings)
    assert time.monotonic() - start < 5
    assert "not available locally" in pipe.notes[0] and "hf download" in pipe.notes[0]


def test_a_model_that_fails_to_load_is_not_tried_again(extractive: Pipeline, tiny_model: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in tiny_model.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "model.safetensors").write_bytes(b"not weights")
    settings = extractive.settings.replace(answerer="transformers", llm_model=str(broken), device="cpu")
    pipe = Pipeline(extractive.index, settings)
    gen = pipe.answerer.generator
    loads: list[int] = []
    real = gen.load
    monkeypatch.setattr(gen, "load", lambda: loads.append(1) or real())
    first = pipe.ask(QUESTION)
    assert first.answer == extractive.ask(QUESTION).answer and first.check["fallback"] == "extractive"
    assert len(first.notes) == 1 and first.notes[0].startswith(f"extractive answer: cannot load transformers:{broken}")
    assert "\n" not in first.notes[0]
    follow = pipe.ask("那京东呢？", [Message("user", QUESTION), Message("assistant", first.answer)])
    assert follow.notes == first.notes and follow.check["rewrite"]["by"] == "rule"
    assert loads == [1]


def scripted_pipeline(extractive: Pipeline, folder: Path, script: list[str]) -> Pipeline:
    """A pipeline whose local model writes exactly "".join(script) (tests/tiny_models.py `_rig`)."""
    seed = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt"))
    make_tiny_chat_model(folder, seed, script=script)
    settings = extractive.settings.replace(answerer="transformers", llm_model=str(folder), device="cpu")
    return Pipeline(extractive.index, settings)


def test_a_scripted_model_keeps_the_supported_sentence_and_drops_the_invented_one(
        extractive: Pipeline, tmp_path: Path) -> None:
    question = "京东云言犀智能客服的咨询服务量有多少？"
    hits = extractive.search(question)
    n = 1 + next(i for i, h in enumerate(hits) if "21.6亿" in h.chunk.text)
    script = ["京东云言犀智能客服累计咨询服务量超21.6亿次", f"[{n}]", "。", "云言犀数字人支持了超9500家品牌商家", f"[{n}]！"]
    pipe = scripted_pipeline(extractive, tmp_path / "scripted", script)
    pieces = list(pipe.stream(question))
    a = pieces[-1]
    assert "".join(pieces[:-1]) == "".join(script)
    assert a.answer == "京东云言犀智能客服累计咨询服务量超21.6亿次[1]。"
    assert a.check["supported"] == 1 and a.check["fallback"] is None
    assert a.check["dropped"] == [{"sentence": f"云言犀数字人支持了超9500家品牌商家[{n}]！", "reason": "not_in_passage",
                                   "numbers": ["9500"], "markers": [n]}]
    assert "21.6亿" in a.citations[0].quote and a.citations[0].chunk_id == hits[n - 1].chunk.chunk_id


def test_a_scripted_refusal_is_refused(extractive: Pipeline, tmp_path: Path) -> None:
    pipe = scripted_pipeline(extractive, tmp_path / "refuser", ["根据现有资料", "无法回答该问题。"])
    a = pipe.ask(QUESTION)
    assert a.refused and a.answer == "根据现有资料无法回答该问题。" and a.citations == ()
