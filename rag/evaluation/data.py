"""The gold set: `questions.jsonl`, `conversations.jsonl` and `distractors/` of a folder (see eval/README.md).

Every line is checked when it is read; a bad line stops the run with its file,
line number and what is wrong, because a silently skipped question would make
the scores incomparable between runs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from rag.errors import RagError
from rag.settings import PROJECT_ROOT

DEFAULT_GOLD = PROJECT_ROOT / "eval"
KINDS = ("fact", "unanswerable")
LANGS = ("zh", "en")

Facts = tuple[tuple[str, ...], ...]  # key facts, each a tuple of accepted variants


@dataclass(frozen=True)
class GoldQuestion:
    qid: str
    question: str
    lang: str  # "zh" or "en"
    kind: str  # "fact" or "unanswerable"
    facts: Facts
    evidence: str
    section: str = ""

    @property
    def answerable(self) -> bool:
        return self.kind == "fact"


@dataclass(frozen=True)
class Turn:
    question: str
    facts: Facts
    evidence: str
    refuse: bool


@dataclass(frozen=True)
class Conversation:
    cid: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class GoldSet:
    folder: str
    questions: tuple[GoldQuestion, ...]
    conversations: tuple[Conversation, ...]
    distractors: str = ""  # the distractor folder, "" when there is none

    @property
    def facts_zh(self) -> tuple[GoldQuestion, ...]:
        return tuple(q for q in self.questions if q.answerable and q.lang == "zh")

    @property
    def facts_en(self) -> tuple[GoldQuestion, ...]:
        return tuple(q for q in self.questions if q.answerable and q.lang == "en")

    @property
    def unanswerable(self) -> tuple[GoldQuestion, ...]:
        return tuple(q for q in self.questions if not q.answerable)

    def counts(self) -> dict[str, int]:
        return {
            "fact_zh": len(self.facts_zh), "fact_en": len(self.facts_en), "unanswerable": len(self.unanswerable),
            "conversations": len(self.conversations), "turns": sum(len(c.turns) for c in self.conversations),
            "turns_refuse": sum(t.refuse for c in self.conversations for t in c.turns),
            "distractors": len(list(Path(self.distractors).glob("*"))) if self.distractors else 0,
        }


def load_gold(folder: str | Path = DEFAULT_GOLD) -> GoldSet:
    folder = Path(folder)
    qpath = folder / "questions.jsonl"
    if not qpath.is_file():
        raise RagError(f"no gold questions at {qpath}: pass --gold with a folder that has questions.jsonl")
    questions = tuple(_question(row, where) for row, where in _rows(qpath))
    _unique([q.qid for q in questions], qpath)
    cpath = folder / "conversations.jsonl"
    conversations = tuple(_conversation(row, where) for row, where in _rows(cpath)) if cpath.is_file() else ()
    _unique([c.cid for c in conversations], cpath)
    dpath = folder / "distractors"
    if not questions and not conversations:
        raise RagError(f"the gold set in {folder} is empty: add questions to {qpath}")
    return GoldSet(str(folder), questions, conversations, str(dpath) if dpath.is_dir() else "")


def _rows(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RagError(f"cannot read {path} ({exc.__class__.__name__}): it must be UTF-8 JSON lines") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RagError(f"{where}: not valid JSON ({exc.msg}): fix the gold file") from None
        if not isinstance(row, dict):
            raise RagError(f"{where}: expected a JSON object: fix the gold file")
        yield row, where


def _question(row: dict[str, Any], where: str) -> GoldQuestion:
    qid, question = _text(row, "id", where), _text(row, "question", where)
    kind, lang = row.get("type", "fact"), row.get("lang", "zh")
    if kind not in KINDS:
        raise RagError(f"{where}: type must be one of {', '.join(KINDS)}, not {kind!r}: fix the gold file")
    if lang not in LANGS:
        raise RagError(f"{where}: lang must be one of {', '.join(LANGS)}, not {lang!r}: fix the gold file")
    facts, evidence = _facts(row.get("facts", []), where), str(row.get("evidence", ""))
    _consistent(kind == "fact", facts, evidence, where)
    return GoldQuestion(qid, question, lang, kind, facts, evidence, str(row.get("section", "")))


def _conversation(row: dict[str, Any], where: str) -> Conversation:
    turns = row.get("turns")
    if not isinstance(turns, list) or not turns:
        raise RagError(f"{where}: a conversation needs a non-empty list of turns: fix the gold file")
    out = []
    for i, t in enumerate(turns, 1):
        if not isinstance(t, dict):
            raise RagError(f"{where}: turn {i} is not an object: fix the gold file")
        at = f"{where} turn {i}"
        refuse = t.get("refuse", False)
        if not isinstance(refuse, bool):
            raise RagError(f"{at}: refuse must be true or false: fix the gold file")
        facts, evidence = _facts(t.get("facts", []), at), str(t.get("evidence", ""))
        _consistent(not refuse, facts, evidence, at)
        out.append(Turn(_text(t, "question", at), facts, evidence, refuse))
    return Conversation(_text(row, "id", where), tuple(out))


def _text(row: dict[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RagError(f"{where}: '{key}' must be a non-empty string: fix the gold file")
    return value


def _facts(value: Any, where: str) -> Facts:
    ok = isinstance(value, list) and all(
        isinstance(f, list) and f and all(isinstance(v, str) and v.strip() for v in f) for f in value)
    if not ok:
        raise RagError(f"{where}: facts must be a list of lists of accepted variants, like [[\"373\"]]: "
                       "fix the gold file")
    return tuple(tuple(f) for f in value)


def _consistent(answerable: bool, facts: Facts, evidence: str, where: str) -> None:
    if answerable and not (facts and evidence.strip()):
        raise RagError(f"{where}: an answerable question needs facts and evidence: fix the gold file")
    if not answerable and (facts or evidence.strip()):
        raise RagError(f"{where}: a question that must be refused has no facts or evidence: fix the gold file")


def _unique(ids: list[str], path: Path) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise RagError(f"{path}: id {i!r} appears twice: give every entry its own id")
        seen.add(i)
