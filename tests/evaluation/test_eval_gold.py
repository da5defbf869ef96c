"""The shipped gold set (`eval/`) meets the issue's minima and agrees with the corpus, and
`rag eval` runs it offline, fast, writing every result file."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rag.ingest.chunking import ChunkSettings, chunk_document
from rag.ingest.corpus import load_corpus
from rag.evaluation.cli import main
from rag.evaluation.data import DEFAULT_GOLD, load_gold
from rag.evaluation.judge import EvidenceLocator, evidence_key, normalize
from rag.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"
GOLD = load_gold(DEFAULT_GOLD)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus([str(SEEDS), GOLD.distractors])


@pytest.fixture(scope="module")
def chunks(corpus):
    s = Settings()
    return [c for d in corpus.documents for c in chunk_document(d, ChunkSettings(s.chunk_size, s.chunk_overlap))]


def _seed_ids(corpus) -> set[str]:
    return {d.doc_id for d in corpus.documents if Path(d.path).parent == SEEDS}


def test_the_gold_set_meets_the_minima() -> None:
    n = GOLD.counts()
    assert n["fact_zh"] >= 60 and n["unanswerable"] >= 12 and n["conversations"] >= 8
    assert n["fact_en"] >= 3 and n["distractors"] >= 3 and n["turns_refuse"] >= 1
    near = [q for q in GOLD.unanswerable if q.section.startswith("near miss")]
    assert len(near) >= len(GOLD.unanswerable) // 2
    assert all(len(c.turns) >= 2 for c in GOLD.conversations)


def test_every_evidence_is_found_in_a_seed_chunk(corpus, chunks) -> None:
    seeds = _seed_ids(corpus)
    loc = EvidenceLocator(chunks)
    items = [(q.qid, q.evidence) for q in GOLD.questions if q.evidence]
    items += [(c.cid, t.evidence) for c in GOLD.conversations for t in c.turns if t.evidence]
    lost = [qid for qid, ev in items if not {cid.rsplit(":", 1)[0] for cid in loc.chunk_ids(ev)} & seeds]
    assert lost == []


def test_every_section_of_the_seed_has_questions(corpus, chunks) -> None:
    loc = EvidenceLocator(chunks)
    seed_sections = {c.section for c in chunks if c.doc_id in _seed_ids(corpus)}
    by_id = {c.chunk_id: c for c in chunks}
    asked = {by_id[cid].section for q in GOLD.facts_zh for cid in loc.chunk_ids(q.evidence)}
    assert seed_sections <= asked


def test_every_key_fact_has_a_variant_in_the_seed() -> None:
    seed = normalize("".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")))
    facts = [(q.qid, f) for q in GOLD.questions for f in q.facts]
    facts += [(c.cid, f) for c in GOLD.conversations for t in c.turns for f in t.facts]
    assert [(qid, f) for qid, f in facts if not any(normalize(v) in seed for v in f)] == []


def test_no_seed_evidence_appears_in_a_distractor() -> None:
    distractors = [evidence_key(p.read_text(encoding="utf-8")) for p in Path(GOLD.distractors).glob("*.txt")]
    evidence = {q.evidence for q in GOLD.questions if q.evidence}
    assert [e for e in evidence if any(evidence_key(e) in d for d in distractors)] == []


def test_rag_eval_runs_the_gold_set_offline_in_seconds(tmp_path: Path, capsys) -> None:
    t0 = time.perf_counter()
    assert main(["--out", str(tmp_path), "-q", "--modes", "lexical,baseline"]) == 0
    assert time.perf_counter() - t0 < 60
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    lexical, baseline = data["modes"]
    assert lexical["n_fact"] == GOLD.counts()["fact_zh"] and lexical["n_turns"] == GOLD.counts()["turns"]
    assert data["corpus"]["documents"] == 1 + GOLD.counts()["distractors"]
    # What the real pipeline must add over the naive baseline, whatever the current tuning.
    assert lexical["answer"] > baseline["answer"] and lexical["refusal_recall"] > baseline["refusal_recall"]
    assert (tmp_path / "modes.png").is_file() and "Still wrong in `lexical`" in (tmp_path / "report.md").read_text(
        encoding="utf-8")
