"""`rag eval`: build (or reuse) an index over seeds + distractors, run the gold set in every
available mode, write the report, and exit 1 when a `--min-*` threshold is not met.

Exit codes: 0 all thresholds met, 1 a threshold missed, 2 an error (one line on stderr).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import sys
import time
from pathlib import Path
from typing import Sequence

from rag.errors import MissingDependency, RagError
from rag.settings import PROJECT_ROOT
from rag.evaluation.data import DEFAULT_GOLD, GoldSet, load_gold
from rag.evaluation.judge import EvidenceLocator
from rag.evaluation.metrics import summarize
from rag.evaluation.report import EvalReport, table, write
from rag.evaluation.runner import ModeRun, run_mode
from rag.evaluation.thresholds import THRESHOLDS, check

DEFAULT_OUT = PROJECT_ROOT / "eval" / "results"
STAMP = "eval-code.sha256"  # in the index folder: the code_stamp() of its last build
ROWS = ("lexical", "dense", "hybrid", "hybrid+rerank", "baseline")


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, like 0.8, not {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, like 0.8, not {text}")
    return value


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="rag eval", description="Run the gold set through the pipeline in every available retrieval mode, "
        "write report.md, report.json, answers.jsonl, failures.jsonl and modes.png, and check thresholds.")
    ap.add_argument("--gold", default=str(DEFAULT_GOLD), help="gold set folder (default: eval/)")
    ap.add_argument("--docs", nargs="+", help="documents to index (default: seeds/ and the gold set's distractors/)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="results folder (default: eval/results/)")
    ap.add_argument("--index", help="index folder for the evaluation (default: OUT/index; reused when up to date)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the evaluation index even when up to date")
    ap.add_argument("--modes", help=f"comma-separated rows to run, from {', '.join(ROWS)} (default: all available)")
    ap.add_argument("--embed-model", dest="embed_model", help="sentence-transformers model (local path) for dense/hybrid")
    ap.add_argument("--reranker", help="cross-encoder model (local path) for the hybrid+rerank row")
    ap.add_argument("--answerer", choices=["extractive", "transformers", "openai"], help="how answers are written")
    ap.add_argument("--k", type=int, help="passages given to the answerer (default: the settings' k, 5)")
    for metric, (flag, words) in THRESHOLDS.items():
        ap.add_argument(flag, dest=metric, type=_share, metavar="SHARE",
                        help=f"exit 1 when {words} of the default mode is below SHARE")
    ap.add_argument("--squad", metavar="FILE", help="also evaluate on a SQuAD-layout JSON (e.g. CMRC 2018): its "
                    "passages indexed apart, its questions asked through the pipeline (see rag/evaluation/squad.py)")
    ap.add_argument("--split", choices=["fit", "report", "all"], default="report",
                    help="which fixed split of the --squad questions to ask (default: report)")
    ap.add_argument("--squad-mode", dest="squad_mode", choices=["lexical", "dense", "hybrid"], default="lexical",
                    help="retrieval for the --squad run (default: lexical; hybrid and dense embed its passages)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the table and threshold failures")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    t0 = time.perf_counter()
    gold = load_gold(args.gold)
    wanted = _wanted_rows(args.modes)
    out = Path(args.out)
    settings = _settings(args, gold, out, wanted)
    pipe, build_notes = _open(settings, args, wanted)
    rows = _rows(pipe, wanted)
    locator = EvidenceLocator(pipe.index.chunks)
    runs = []
    for label, asker, mode in rows:
        run = run_mode(asker, label, mode, gold, locator, settings.k)
        runs.append(run)
        _say(args, f"eval: {label}: {len(run.records)} answers in {run.wall_s:.1f} s")
    summaries = tuple(summarize(r) for r in runs)
    gate = _gate(pipe, [r.label for r in runs])
    minimums = {m: getattr(args, m) for m in THRESHOLDS}
    checks = tuple(check(next(s for s in summaries if s.label == gate).to_dict(), minimums, gate))
    rep = EvalReport(
        runs=tuple(runs), summaries=summaries, gate=gate, checks=checks,
        gold={"folder": _show(gold.folder), **gold.counts()}, corpus=_corpus(pipe, settings),
        k=settings.k, wall_s=time.perf_counter() - t0, created=time.strftime("%Y-%m-%d %H:%M:%S"),
        notes=tuple(dict.fromkeys(build_notes + list(pipe.notes))),
    )
    paths = write(rep, out)
    try:
        from rag.evaluation.chart import write_chart

        paths["modes.png"] = write_chart(summaries, out / "modes.png")
    except MissingDependency as exc:
        print(f"warning: no chart: {exc}", file=sys.stderr)
    print("\n".join(table(summaries)))
    if args.squad:
        _squad(args, out, paths)
    for c in checks:
        if not c.passed:
            print(f"threshold not met: {c.message}", file=sys.stderr)
    _say(args, f"eval: wrote {', '.join(_show(p) for p in paths.values())} in {rep.wall_s:.1f} s")
    return 0 if all(c.passed for c in checks) else 1


def _squad(args: argparse.Namespace, out: Path, paths: dict) -> None:
    """The SQuAD-layout table beside the gold set's: squad.md/json, and appended to report.md/json."""
    import json

    from rag.evaluation import squad

    result = squad.run_squad(args.squad, args.split, args.k, mode=args.squad_mode)
    paths.update(squad.write(result, out))
    lines = squad.table(result)
    with paths["report.md"].open("a", encoding="utf-8") as f:
        f.write(f"\n## {Path(args.squad).name} (SQuAD layout, split {args.split}, {args.squad_mode})\n\n" + "\n".join(lines) + "\n")
    report = json.loads(paths["report.json"].read_text(encoding="utf-8"))
    report["squad"] = {k: v for k, v in result.items() if not k.endswith("records")}
    paths["report.json"].write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("\n".join(lines))
    _say(args, f"eval: {args.squad}: {result['summary']['questions']} questions in {result['wall_s']} s")


def _wanted_rows(modes: str | None) -> tuple[str, ...]:
    if not modes:
        return ROWS
    wanted = tuple(m.strip() for m in modes.split(",") if m.strip())
    bad = [m for m in wanted if m not in ROWS]
    if bad or not wanted:
        named = ", ".join(bad) or repr(modes)
        raise RagError(f"unknown mode {named} in --modes: use a comma-separated list of {', '.join(ROWS)}")
    return wanted


def _settings(args: argparse.Namespace, gold: GoldSet, out: Path, wanted: Sequence[str]):
    from rag.settings import load_settings

    docs = args.docs or [str(PROJECT_ROOT / "seeds")] + ([gold.distractors] if gold.distractors else [])
    needs_dense = any(m in wanted for m in ("dense", "hybrid", "hybrid+rerank"))
    flags = {"docs": docs, "index": args.index or str(out / "index"), "embed_model": args.embed_model,
             "reranker": args.reranker, "answerer": args.answerer, "k": args.k,
             "mode": None if needs_dense else "lexical"}
    return load_settings(flags)


def _open(settings, args: argparse.Namespace, wanted: Sequence[str]):
    from rag.index.build import build_index
    from rag.pipeline import Pipeline

    stamp_file, stamp = Path(settings.index) / STAMP, code_stamp()
    code_changed = not stamp_file.is_file() or stamp_file.read_text(encoding="utf-8").strip() != stamp
    built = build_index(settings, force=args.rebuild or code_changed)
    stamp_file.write_text(stamp + "\n", encoding="utf-8")
    if args.embed_model and not built.dense and settings.mode != "lexical":
        raise RagError("; ".join(built.notes) or f"the index has no embeddings from {args.embed_model}")
    state = "reused" if built.up_to_date else "built" + (" (the rag code changed)" if code_changed else "")
    _say(args, f"eval: index {state}: {built.documents} documents, "
               f"{built.chunks} chunks at {_show(built.path)}")
    pipe = Pipeline.open(settings, build_if_missing=False)
    if args.reranker and pipe.reranker is None and "hybrid+rerank" in wanted:
        raise RagError(next((n for n in pipe.notes if "rerank" in n), f"reranker {args.reranker} is not usable"))
    return pipe, list(built.notes)


def code_stamp() -> str:
    """A hash of the code and data that shape an index (rag/, less this package).

    The index's own signature does not change with the lexicon or the cleaning rules, so
    an index reused across a code change would measure the old code; hashing the sources
    costs milliseconds and rebuilding a lexical index a second (unchanged vectors are reused).
    """
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and rel.parts[0] != "evaluation" and "__pycache__" not in rel.parts and p.suffix != ".pyc":
            h.update(f"{rel}\0".encode() + p.read_bytes())
    return h.hexdigest()


def _rows(pipe, wanted: Sequence[str]) -> list[tuple[str, object, str | None]]:
    """(label, asker, mode) for every row to run; a requested row that cannot run is an error."""
    from rag.evaluation.baseline import NaiveBaseline

    plain = copy.copy(pipe)
    plain.reranker = None  # the reranker wraps every mode; only the hybrid+rerank row keeps it
    available = {"lexical": (plain, "lexical"), "baseline": (NaiveBaseline(pipe.index.chunks), None)}
    if pipe.embedder is not None:
        available |= {"dense": (plain, "dense"), "hybrid": (plain, "hybrid")}
        if pipe.reranker is not None:
            available["hybrid+rerank"] = (pipe, "hybrid")
    explicit = wanted != ROWS
    missing = [m for m in wanted if m not in available]
    if explicit and missing:
        need = "--reranker PATH" if missing == ["hybrid+rerank"] else "--embed-model PATH"
        raise RagError(f"{', '.join(missing)} cannot run without a local model: pass {need}")
    return [(m, *available[m]) for m in wanted if m in available]


def _gate(pipe, labels: Sequence[str]) -> str:
    """The row the thresholds apply to: what the API answers with by default."""
    default = "hybrid+rerank" if pipe.reranker is not None else pipe.default_mode
    return default if default in labels else next((x for x in labels if x != "baseline"), labels[0])


def _corpus(pipe, settings) -> dict:
    return {"documents": len(pipe.index.documents), "chunks": len(pipe.index.chunks),
            "sources": [_show(d) for d in settings.docs], "index": _show(settings.index)}


def _show(path) -> str:
    p = Path(path).resolve()
    for base in (Path.cwd(), PROJECT_ROOT):
        try:
            return str(p.relative_to(base)) or "."
        except ValueError:
            continue
    return str(path)


def _say(args: argparse.Namespace, line: str) -> None:
    if not args.quiet:
        print(line, file=sys.stderr)


if __name__ == "__main__":  # python -m rag.evaluation.cli: the same exit codes as `rag eval`
    try:
        sys.exit(main(sys.argv[1:]))
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
