"""modes.png: one group of bars per metric, one bar per mode (matplotlib, imported only here)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rag.errors import MissingDependency
from rag.evaluation.metrics import ModeSummary

METRICS = [("hit@5", "hit5"), ("MRR", "mrr"), ("answer", "answer"), ("cite P", "citation_precision"),
           ("cite R", "citation_recall"), ("refuse P", "refusal_precision"), ("refuse R", "refusal_recall"),
           ("multi-turn", "multiturn")]


def write_chart(summaries: Sequence[ModeSummary], path: Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependency("matplotlib", "eval") from None
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    width = 0.8 / max(1, len(summaries))
    for i, s in enumerate(summaries):
        xs = [j + (i - (len(summaries) - 1) / 2) * width for j in range(len(METRICS))]
        ys = [getattr(s, f) or 0.0 for _, f in METRICS]
        ax.bar(xs, ys, width, label=s.label)
    ax.set_xticks(range(len(METRICS)), [m for m, _ in METRICS])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share (MRR: mean reciprocal rank)")
    ax.set_title("rag eval: retrieval modes compared on the Chinese gold set")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
