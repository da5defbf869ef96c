"""`rag eval --squad FILE`: answer quality on questions and documents nobody here wrote.

Any SQuAD-layout JSON (`data[].title`, `data[].paragraphs[].context`, `.qas[].{id, question,
answers[].text}`; CMRC 2018 is one) is indexed, every paragraph a document, in a temporary
folder, and every question of the chosen split is asked through the normal `Pipeline`:

- right: not refused, and the answer contains a gold answer (NFKC, lower case, no spaces or punctuation);
- cited: a cited quote contains a gold answer (`cited_passage`: a cited passage does);
- refused, mean answer length in characters, hit@1/hit@5 of the gold paragraph;
- short-answer exact match and character F1 (CMRC style) of `check["short_answer"]`, when given.

Unanswerable pairs: a second index holds only the articles of one half (by a hash of the title);
questions about articles of the other half are asked against it, and should be refused.

The split is fixed by a hash of the question id: 60% `fit` (what may be learned from), 40% `report`.
"""
from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from rag.errors import RagError

SPLITS = ("fit", "report", "all")
FIT_SHARE = 60  # percent of questions in the fit split
UNANSWERABLE_SAMPLE = 200  # at most this many questions are asked against the index without their article
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    pid: str
    title: str
    context: str


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    pid: str
    title: str


@dataclass(frozen=True)
class SquadSet:
    passages: tuple[Passage, ...]
    questions: tuple[SquadQuestion, ...]


def normalize(text: str) -> str:
    """NFKC, lower case, no spaces or punctuation: how answers are compared."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


def split_of(qid: str) -> str:
    """`fit` or `report`, fixed forever by the question id."""
    return "fit" if int(hashlib.sha1(qid.encode("utf-8")).hexdigest()[:8], 16) % 100 < FIT_SHARE else "report"


def half_of(title: str) -> int:
    """0 or 1: which half of the articles the unanswerable index keeps (1 is kept)."""
    return int(hashlib.sha1(title.encode("utf-8")).hexdigest()[:8], 16) % 2


def load_squad(path: str | Path) -> SquadSet:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        articles = data["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RagError(f"cannot read SQuAD file {p}: {exc.__class__.__name__}: {exc}") from None
    passages: list[Passage] = []
    questions: list[SquadQuestion] = []
    try:
        for a, article in enumerate(articles):
            title = str(article.get("title", "")).strip() or f"article {a}"
            for i, para in enumerate(article["paragraphs"]):
                pid = str(para.get("id") or f"{a}-{i}")
                passages.append(Passage(pid, title, str(para["context"])))
                for qa in para.get("qas", []):
                    answers = tuple(dict.fromkeys(str(x["text"]) for x in qa.get("answers", []) if str(x["text"]).strip()))
                    if answers:
                        questions.append(SquadQuestion(str(qa["id"]), str(qa["question"]), answers, pid, title))
    except (KeyError, TypeError, AttributeError) as exc:
        raise RagError(f"{p} is not in SQuAD layout (data[].paragraphs[].context/qas): missing {exc}") from None
    if not questions:
        raise RagError(f"{p} holds no answerable questions")
    return SquadSet(tuple(passages), tuple(questions))


def select(squad: SquadSet, split: str) -> list[SquadQuestion]:
    if split not in SPLITS:
        raise RagError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return [q for q in squad.questions if split == "all" or split_of(q.qid) == split]


def _file_stem(pid: str, n: int) -> str:
    return f"p{n:05d}"


def write_docs(passages: Iterable[Passage], folder: Path) -> dict[str, str]:
    """One .txt per paragraph (title line, then the context); returns file stem -> pid."""
    folder.mkdir(parents=True, exist_ok=True)
    stems: dict[str, str] = {}
    for n, p in enumerate(passages):
        stem = _file_stem(p.pid, n)
        title = p.title.replace("\n", " ")[:80]
        (folder / f"{stem}.txt").write_text(f"{title}\n{p.context.strip()}\n", encoding="utf-8")
        stems[stem] = p.pid
    return stems


def open_pipeline(passages: Sequence[Passage], folder: Path, k: int | None = None, mode: str = "lexical"):
    """A pipeline (lexical unless `mode` says otherwise) over `passages`, indexed under `folder`;
    and doc_id prefix -> pid."""
    from rag.index.build import build_index
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    stems = write_docs(passages, folder / "docs")
    flags = {"docs": [str(folder / "docs")], "index": str(folder / "index"), "mode": mode,
             "answerer": "extractive", "k": k}
    settings = load_settings(flags, env={})
    build_index(settings, force=True)
    pipe = Pipeline.open(settings, build_if_missing=False)
    return pipe, stems


def pid_of(doc_id: str, stems: dict[str, str]) -> str:
    return stems.get(doc_id.split("-", 1)[0], "")


def char_f1(pred: str, gold: str) -> float:
    """CMRC-style character F1 between normalized strings."""
    p, g = list(normalize(pred)), list(normalize(gold))
    if not p or not g:
        return 0.0
    common = 0
    rest = list(g)
    for ch in p:
        if ch in rest:
            rest.remove(ch)
            common += 1
    if not common:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


@dataclass(frozen=True)
class SquadRecord:
    qid: str
    question: str
    answers: tuple[str, ...]
    answer: str
    refused: bool
    right: bool
    cited: bool
    cited_passage: bool
    rank: int | None  # 1-based rank of the gold paragraph among the top 5 hits
    short_answer: str
    reason: str


def judge(q: SquadQuestion, answer, hits, stems: dict[str, str]) -> SquadRecord:
    gold = [normalize(a) for a in q.answers]
    text = normalize(answer.answer)
    right = not answer.refused and any(g and g in text for g in gold)
    quotes = [normalize(c.quote or c.text) for c in answer.citations]
    passages = [normalize(c.text) for c in answer.citations]
    cited = not answer.refused and any(g and g in x for g in gold for x in quotes)
    cited_passage = not answer.refused and any(g and g in x for g in gold for x in passages)
    rank = next((i for i, h in enumerate(hits, 1) if pid_of(h.chunk.doc_id, stems) == q.pid), None)
    short = str(answer.check.get("short_answer") or "")
    return SquadRecord(q.qid, q.question, q.answers, answer.answer, answer.refused, right, cited, cited_passage,
                       rank, short, str(answer.check.get("refusal_reason", "")))


def summarize(records: Sequence[SquadRecord], unanswerable: Sequence[SquadRecord] = ()) -> dict:
    n = len(records) or 1
    answered = [r for r in records if not r.refused]
    shorts = [r for r in records if r.short_answer]
    out = {
        "questions": len(records),
        "right": sum(r.right for r in records) / n,
        "cited": sum(r.cited for r in records) / n,
        "cited_passage": sum(r.cited_passage for r in records) / n,
        "refused": sum(r.refused for r in records) / n,
        "answer_chars": sum(len(r.answer) for r in answered) / (len(answered) or 1),
        "hit@1": sum(r.rank == 1 for r in records) / n,
        "hit@5": sum(r.rank is not None for r in records) / n,
        "short_given": len(shorts) / n,
        "short_em": sum(any(normalize(r.short_answer) == normalize(a) for a in r.answers) for r in shorts) / n,
        "short_f1": sum(max(char_f1(r.short_answer, a) for a in r.answers) for r in shorts) / n,
    }
    if unanswerable:
        out["unanswerable"] = len(unanswerable)
        out["unanswerable_refused"] = sum(r.refused for r in unanswerable) / len(unanswerable)
    return out


def run_squad(path: str | Path, split: str = "report", k: int | None = None,
              unanswerable: int = UNANSWERABLE_SAMPLE, work: str | Path | None = None, mode: str = "lexical") -> dict:
    """Index, ask, judge; returns {"summary", "records", "unanswerable_records", ...}."""
    squad = load_squad(path)
    questions = select(squad, split)
    if not questions:
        raise RagError(f"the {split} split of {path} is empty")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-squad-", dir=work) as tmp:
        pipe, stems = open_pipeline(squad.passages, Path(tmp) / "all", k, mode)
        records = []
        for q in questions:
            hits = pipe.search(q.question, k=5)
            records.append(judge(q, pipe.ask(q.question, k=k), hits, stems))
        unans: list[SquadRecord] = []
        kept = [p for p in squad.passages if half_of(p.title) == 1]
        asked = [q for q in questions if half_of(q.title) == 0][:unanswerable]
        if unanswerable and kept and asked and len(kept) < len(squad.passages):
            pipe2, stems2 = open_pipeline(kept, Path(tmp) / "half", k, mode)
            unans = [judge(q, pipe2.ask(q.question, k=k), [], stems2) for q in asked]
    summary = summarize(records, unans)
    return {"file": str(path), "split": split, "mode": mode, "summary": summary, "passages": len(squad.passages),
            "wall_s": round(time.perf_counter() - t0, 1),
            "records": [r.__dict__ for r in records], "unanswerable_records": [r.__dict__ for r in unans]}


def table(result: dict) -> list[str]:
    s = result["summary"]
    head = ("| split | questions | right | cited | cited passage | refused | answer chars | hit@1 | hit@5 "
            "| short EM | short F1 | unanswerable refused |")
    unans = f"{s['unanswerable_refused']:.1%} of {s['unanswerable']}" if "unanswerable" in s else "—"
    row = (f"| {result['split']} | {s['questions']} | {s['right']:.1%} | {s['cited']:.1%} | {s['cited_passage']:.1%} "
           f"| {s['refused']:.1%} | {s['answer_chars']:.0f} | {s['hit@1']:.1%} | {s['hit@5']:.1%} "
           f"| {s['short_em']:.1%} | {s['short_f1']:.1%} | {unans} |")
    return [head, "|" + "---|" * 12, row]


def write(result: dict, out: Path) -> dict[str, Path]:
    """squad.json (summary and every record) and squad.md (the table, and the first failures)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"squad.json": out / "squad.json", "squad.md": out / "squad.md"}
    paths["squad.json"].write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    wrong = [r for r in result["records"] if not r["right"]][:30]
    lines = [f"# SQuAD-layout evaluation: {Path(result['file']).name}", "",
             f"{result['passages']} passages indexed; split `{result['split']}`; {result['wall_s']} s.", "",
             *table(result), "", "## First wrong answers", ""]
    lines += [f"- {r['question']} — gold {' / '.join(r['answers'])} — "
              f"{'refused: ' + r['reason'] if r['refused'] else r['answer'][:120]}" for r in wrong]
    paths["squad.md"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths
