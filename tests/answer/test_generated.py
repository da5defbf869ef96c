"""The pieces of generated answering on their own: citations, the extractive check, rewrites,
streams that stop early or break, startup checks, lazy imports.

`ListGenerator` is the one fake here: a one-method generator that streams fixed pieces
(and records whether its stream was closed), for what a real backend cannot be made to do
on cue. The real backends run end to end in test_generated_openai.py and
test_generated_transformers.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.answer.answerers import CheckedAnswerer, make_answerer, passage_budget
from rag.index.build import build_index
from rag.answer.check import check_answer
from rag.errors import BackendError
from rag.answer.generated import GeneratedAnswerer, best_sentence, cite
from rag.pipeline import Pipeline
from rag.answer.prompting import Passage
from rag.retrieve.rewrite import Rewriter, grounded
from rag.types import FollowUp
from rag.settings import load_settings
from rag.types import Chunk, Citation, Draft, Hit, Message

ROOT = Path(__file__).resolve().parents[2]
TEXT = "今年双11开启以来，各平台数据亮眼。天猫累计373个品牌成交额破亿元。京东超1.6万个品牌成交额同比增长超3倍。"
CHUNK = Chunk("d:0", "d", "双11", "u", "正文", TEXT, 100, 100 + len(TEXT))
OTHER = Chunk("d:1", "d", "双11", "u", "正文", "抖音近8000个品牌成交额同比增长超200%。", 300, 323)
HISTORY = [Message("user", "京东平台AI学习机的成交额增长了多少？"), Message("assistant", "增长均超10倍。[1]")]


class ListGenerator:
    name = "list"

    def __init__(self, *pieces: str, fail: Exception | None = None, forever: bool = False) -> None:
        self.pieces, self.fail, self.forever = pieces, fail, forever
        self.calls: list[list[Message]] = []
        self.closed = 0

    def stream(self, messages: list[Message]) -> Iterator[str]:
        self.calls.append(messages)
        try:
            yield from self.pieces
            while self.forever:
                yield "还有"
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed += 1


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    settings = load_settings({"docs": [str(ROOT / "seeds")], "index": str(tmp_path_factory.mktemp("idx")),
                              "mode": "lexical"}, env={})
    build_index(settings)
    return Pipeline.open(settings)


def answerer(pipe: Pipeline, gen: ListGenerator) -> GeneratedAnswerer:
    return GeneratedAnswerer(gen, pipe.answerer, "list")


def test_cite_renumbers_by_first_use_and_quotes_the_matching_sentence() -> None:
    passages = {3: Passage(3, Hit(CHUNK, 1.0, 0, "bm25"), TEXT), 5: Passage(5, Hit(OTHER, 0.5, 1, "bm25"), OTHER.text)}
    result = check_answer("抖音近8000个品牌增长超200%[5]。天猫373个品牌破亿元[3][5]。", {3: TEXT, 5: OTHER.text})
    text, citations = cite(result, passages)
    assert text == "抖音近8000个品牌增长超200%[1]。天猫373个品牌破亿元[2][1]。"
    assert [(c.n, c.chunk_id) for c in citations] == [(1, "d:1"), (2, "d:0")]
    tmall = citations[1]
    assert tmall.quote == "天猫累计373个品牌成交额破亿元。"
    assert (" " * 100 + TEXT)[tmall.quote_start:tmall.quote_end] == tmall.quote  # offsets into the document


def test_best_sentence_prefers_the_shared_figure_and_gives_up_on_unrelated_claims() -> None:
    assert best_sentence(CHUNK, "京东有1.6万个品牌增长[1]").text.startswith("京东超1.6万")
    assert best_sentence(CHUNK, "完全无关的句子") is None


def test_extractive_answers_are_checked_and_flagged_not_cut() -> None:
    citation = Citation(1, "t", "u", "天猫累计373个品牌成交额破亿元。", "d", "d:0", 0, 16)

    class Quoting:
        name = "extractive"

        def stream(self, question: str, hits: object, history: object = (),
                   followup: object = None) -> Iterator[str | Draft]:
            yield "天猫累计337个品牌成交额破亿元。[1]"
            yield Draft("天猫累计337个品牌成交额破亿元。[1]", False, (citation,), {"support": 0.9})

    draft = list(CheckedAnswerer(Quoting()).stream("q", []))[-1]
    assert draft.text == "天猫累计337个品牌成交额破亿元。[1]"  # kept: a verbatim quote is flagged, not cut
    assert draft.check["dropped"] == [] and draft.check["flagged"][0]["numbers"] == ["337"]
    assert draft.check["support"] == 0.9 and draft.check["fallback"] is None


def test_grounded_rewrites() -> None:
    sources = "京东平台AI学习机的成交额增长了多少？ 那图书呢？"
    assert grounded("京东平台图书的成交额增长了多少？", sources)
    assert not grounded("", sources) and not grounded("？？", sources)
    assert not grounded("拼多多的天气预报", sources)


def test_the_rewrite_reads_one_line_closes_the_stream_and_is_remembered() -> None:
    gen = ListGenerator("独立问题：京东平台图书", "的成交额增长了多少？\n解释：", forever=True)
    rule_calls: list[str] = []
    rewriter = Rewriter(gen, lambda q, h: rule_calls.append(q) or FollowUp(q, q))
    first = rewriter("那图书呢？", HISTORY)
    assert first.by == "llm" and first.retrieval == "京东平台图书的成交额增长了多少？"
    assert gen.closed == 1  # the endless stream was closed after the first line
    assert rewriter("那图书呢？", HISTORY) is first and len(gen.calls) == 1
    assert rewriter("京东平台AI学习机的成交额同比增长了多少倍？", HISTORY).by == "none" and len(gen.calls) == 1


def test_a_failed_or_useless_rewrite_falls_back_to_the_rule() -> None:
    rule = lambda q, h: FollowUp("规则问题", "规则问题")
    failed = Rewriter(ListGenerator(fail=BackendError("server down")), rule)("那图书呢？", HISTORY)
    assert (failed.by, failed.error, failed.question) == ("rule", "server down", "规则问题")
    echoed = Rewriter(ListGenerator("那图书呢？"), rule)("那图书呢？", HISTORY)
    assert echoed.by == "rule" and echoed.reason == "the model left the follow-up as it was"


def test_stopping_early_closes_the_backend_stream(pipe: Pipeline) -> None:
    gen = ListGenerator("天猫", "累计", forever=True)
    stream = answerer(pipe, gen).stream("天猫双11有多少品牌成交额破亿？", pipe.search("天猫双11有多少品牌成交额破亿？"))
    assert next(stream) == "天猫"
    stream.close()
    assert gen.closed == 1


@pytest.mark.parametrize("gen, note", [
    (ListGenerator("天猫", fail=TypeError("bug")), "extractive answer: generation with list failed (TypeError)"),
    (ListGenerator("  "), "extractive answer: the model returned an empty answer"),
])
def test_unexpected_failures_become_notes(pipe: Pipeline, gen: ListGenerator, note: str) -> None:
    q = "天猫双11有多少品牌成交额破亿？"
    draft = list(answerer(pipe, gen).stream(q, pipe.search(q)))[-1]
    assert draft.notes == (note,) and "373" in draft.text and draft.check["fallback"] == "extractive"


def test_nothing_retrieved_needs_no_model(pipe: Pipeline) -> None:
    gen = ListGenerator("不该被调用")
    draft = list(answerer(pipe, gen).stream("天猫双11有多少品牌成交额破亿？", []))[-1]
    assert draft.refused and gen.calls == [] and draft.notes == ()


def test_missing_transformers_is_a_startup_note(pipe: Pipeline, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "transformers", None)
    notes: list[str] = []
    settings = pipe.settings.replace(answerer="transformers", llm_model=str(tmp_path))
    assert make_answerer(settings, pipe.index, notes).name == "extractive"
    assert notes == [("extractive answers: the optional dependency 'transformers' is not installed: "
                      "run `pip install torch==2.13.0 -e \".[models]\"`")]


def test_the_passage_budget_follows_the_context_length(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 4096}))
    assert passage_budget(tmp_path, 512) == 4096 - 512 - 1200
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 32768}))
    assert passage_budget(tmp_path, 512) == 6000
    (tmp_path / "config.json").write_text("{}")
    assert passage_budget(tmp_path, 512) == 6000


def test_the_openai_answerer_imports_no_torch(pipe: Pipeline) -> None:
    code = (
        "import sys\nfrom rag.settings import load_settings\nfrom rag.pipeline import Pipeline\n"
        f"s = load_settings({{'docs': [{str(ROOT / 'seeds')!r}], 'index': {str(pipe.settings.index)!r}, "
        "'mode': 'lexical', 'answerer': 'openai', 'openai_base_url': 'http://127.0.0.1:9/v1'}, env={})\n"
        "a = Pipeline.open(s).ask('天猫双11有多少品牌成交额破亿？')\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules), "
        "a.check['fallback'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         check=False)
    assert out.stdout.strip() == "[] extractive", out.stderr
