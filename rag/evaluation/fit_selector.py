"""Fit the answer selector's weights: `python -m rag.evaluation.fit_selector [--squad FILE]`.

Rows are the candidate sentences the extractive answerer sees, with the features of
`rag/answer/selector.py`; a sentence is positive when it holds a gold answer. Questions
come from the FIT split of a SQuAD-layout file (default: the CMRC 2018 trial set in
shared/) and from the gold set's questions and conversation turns (eval/; unanswerable ones
and turns to refuse give only negatives). The weights rank each question's right sentence
first (a softmax over its candidates). A second, question-level model (`refusal` in the
JSON) says whether the documents answer at all, from the best sentence's features: fitted on
answerable questions against questions whose article is not indexed (the fit split asked
against the other half of the articles) and the gold set's unanswerable questions.

Needs scikit-learn (the `eval` extra); writes `rag/answer/data/selector.json`, which the
answerer applies without it. Deterministic: same data, same weights.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rag.answer.selector import FEATURES, REFUSAL_FEATURES, WEIGHTS, Selector, featurize, question_features
from rag.answer.support import question_terms
from rag.errors import MissingDependency, RagError
from rag.evaluation import squad
from rag.evaluation.data import DEFAULT_GOLD, load_gold
from rag.evaluation.judge import overlaps_evidence
from rag.settings import PROJECT_ROOT
from rag.types import Message

DEFAULT_SQUAD = PROJECT_ROOT.parent / "shared" / "datasets" / "cmrc2018" / "cmrc2018_trial.json"
GOLD_WEIGHT = 8.0  # the gold set is small; its questions are the product's own kind
# A wrong refusal of an answerable question costs an answer; letting an unanswerable one through
# costs a quote of a sentence that does not answer (the reader sees the source). 0 today: whether to
# answer is left to the evidence rules of extractive.py (names, support), which the gold set holds;
# a higher weight makes the fitted threshold refuse more (measured: 0.5 cost the gold set 12 points).
REFUSAL_WEIGHT = 0.0


def rows_for(pipe, question: str, is_positive, history=()) -> tuple[list[tuple[float, ...]], list[int], tuple]:
    """Features and labels of every candidate sentence for one question (a turn: after `history`)."""
    inner = getattr(pipe.answerer, "inner", pipe.answerer)
    fu = pipe.followup(question, list(history))
    hits = pipe.search(question, list(history), pipe.settings.k, None, fu)
    q = question_terms(fu.question, fu.context, inner.tokenizer, inner.bm25)
    if not q.main or not hits:
        return [], [], ()
    cands = list(inner.scorer.candidates(fu.question, q, hits))
    scored = featurize(fu.question, q, cands, inner.tokenizer, inner.bm25)
    return ([s.features for s in scored], [int(is_positive(c.sentence.text)) for c in cands],
            question_features(q, inner.bm25))


def _contains_any(answers):
    gold = [squad.normalize(a) for a in answers]
    return lambda text: any(g and g in squad.normalize(text) for g in gold)


def collect(squad_file: Path, gold_folder: Path, work: Path):
    """(groups, unanswerable groups): each group is (weight, features, labels) for one question."""
    from rag.index.build import build_index
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    data = squad.load_squad(squad_file)
    fit = squad.select(data, "fit")
    groups, unans = [], []
    pipe, _ = squad.open_pipeline(data.passages, work / "all")
    for q in fit:
        groups.append((1.0, *rows_for(pipe, q.question, _contains_any(q.answers))))
    kept = [p for p in data.passages if squad.half_of(p.title) == 1]
    half, _ = squad.open_pipeline(kept, work / "half")
    for q in fit:
        if squad.half_of(q.title) == 0:
            unans.append((1.0, *rows_for(half, q.question, lambda text: False)))
    gold = load_gold(gold_folder)
    docs = [str(PROJECT_ROOT / "seeds")] + ([gold.distractors] if gold.distractors else [])
    settings = load_settings({"docs": docs, "index": str(work / "gold"), "mode": "lexical",
                              "answerer": "extractive"}, env={})
    build_index(settings, force=True)
    gpipe = Pipeline.open(settings, build_if_missing=False)
    for g in gold.questions:
        row = rows_for(gpipe, g.question, _gold_positive(g.facts, g.evidence) if g.answerable else lambda text: False)
        (groups if g.answerable else unans).append((GOLD_WEIGHT, *row))
    # Conversations: each turn after the pipeline's own earlier answers, as `rag eval` asks them.
    for conv in gold.conversations:
        history: list = []
        for turn in conv.turns:
            positive = (lambda text: False) if turn.refuse else _gold_positive(turn.facts, turn.evidence)
            row = rows_for(gpipe, turn.question, positive, history)
            (unans if turn.refuse else groups).append((GOLD_WEIGHT, *row))
            answer = gpipe.ask(turn.question, history)
            history += [Message("user", turn.question), Message("assistant", answer.answer)]
    return groups, unans


def _gold_positive(facts, evidence):
    """A sentence holds the answer: all its key facts (a variant of each), or the evidence."""
    facts = [[squad.normalize(v) for v in variants] for variants in facts]

    def positive(text):
        t = squad.normalize(text)
        has_facts = bool(facts) and all(any(v and v in t for v in variants) for variants in facts)
        return has_facts or bool(evidence and overlaps_evidence(text, evidence))
    return positive


def fit(groups, unans, C: float = 1.0) -> tuple[Selector, dict]:
    """Weights that rank each question's right sentence first (a softmax over its candidates,
    L2 penalty 1/C), then one slope and intercept that turn the score into a probability
    (fitted on every row, the unanswerable questions' too) for the refusal threshold."""
    try:
        import numpy as np
        from scipy.optimize import minimize
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise MissingDependency("scikit-learn", "eval") from None
    X = np.array([f for _, xs, *_ in groups + unans for f in xs], dtype=float)
    y = np.array([lab for _, _, ys, *_ in groups + unans for lab in ys], dtype=int)
    w = np.array([wt for wt, xs, *_ in groups + unans for _ in xs], dtype=float)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    # Only questions with a right sentence among their candidates say which one is best.
    ranked = [(wt, (np.array(xs, dtype=float) - mean) / scale, np.array(ys) == 1)
              for wt, xs, ys, *_ in groups if xs and any(ys)]

    def loss(coef):
        total, grad = 0.0, np.zeros_like(coef)
        for wt, Z, pos in ranked:
            s = Z @ coef
            p = np.exp(s - s.max())
            p /= p.sum()
            right = p[pos].sum() + 1e-12
            total -= wt * np.log(right)
            grad += wt * (p @ Z - (np.where(pos, p, 0.0) / right) @ Z)
        return total + coef @ coef / C, grad + 2 * coef / C

    coef = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B").x
    calib = LogisticRegression(C=1e4, max_iter=1000).fit((((X - mean) / scale) @ coef)[:, None], y, sample_weight=w)
    slope, intercept = float(calib.coef_[0][0]), float(calib.intercept_[0])
    sel = Selector(FEATURES, tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                   tuple(float(v) * slope for v in coef), intercept, 0.0)
    threshold, stats = choose_threshold(sel, groups, unans)
    return Selector(sel.names, sel.mean, sel.scale, sel.coef, sel.intercept, threshold), stats


# The refusal model may cost at most this share of the gold set's answerable questions.
GOLD_ANSWERED = 0.97


def fit_refusal(sel: Selector, groups, unans, C: float = 0.3) -> tuple[Selector, dict]:
    """Does the corpus answer the question at all? One row per question: its best sentence's features
    and probability; answerable questions (any in `groups`) against `unans` (article not indexed, or
    the gold set's unanswerable questions). The threshold maximizes answered + refused (weighted)
    while keeping GOLD_ANSWERED of the gold set's answerable questions (weight > 1) answered."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = []
    for label, gs in ((1, groups), (0, unans)):
        for wt, xs, _, qf in gs:
            if xs:
                probs = [sel.prob(f) for f in xs]
                i = max(range(len(probs)), key=probs.__getitem__)
                rows.append((wt, label, (*xs[i], probs[i], *qf)))
    X = np.array([r[2] for r in rows], dtype=float)
    y = np.array([r[1] for r in rows])
    w = np.array([r[0] for r in rows], dtype=float)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=3000).fit((X - mean) / scale, y, sample_weight=w)
    ref = Selector(REFUSAL_FEATURES, tuple(map(float, mean)), tuple(map(float, scale)),
                   tuple(map(float, model.coef_[0])), float(model.intercept_[0]), 0.0)
    p = np.array([ref.prob(x) for x in X])
    gold_pos = (y == 1) & (w > 1)
    best = (-1.0, 0.0)
    for t in sorted(set(np.round(p, 3))):
        if gold_pos.any() and (p[gold_pos] >= t).mean() < GOLD_ANSWERED:
            break
        score = (w * ((y == 1) & (p >= t))).sum() / w[y == 1].sum() + (w * ((y == 0) & (p < t))).sum() / w[y == 0].sum()
        best = max(best, (score, float(t)))
    t = best[1]
    stats = {"threshold": t, "answerable_answered": round(float(((p >= t) & (y == 1)).sum() / (y == 1).sum()), 3),
             "unanswerable_refused": round(float(((p < t) & (y == 0)).sum() / (y == 0).sum()), 3),
             "gold_answerable_answered": round(float((p[gold_pos] >= t).mean()), 3) if gold_pos.any() else None}
    return Selector(ref.names, ref.mean, ref.scale, ref.coef, ref.intercept, t), stats


def choose_threshold(sel: Selector, groups, unans) -> tuple[float, dict]:
    """The probability that maximizes (answerable questions answered right) + REFUSAL_WEIGHT x (unanswerable refused),
    each weighted like the rows; ties go to the lower threshold (answer more)."""
    def best(xs, ys):
        if not xs:
            return 0.0, False
        probs = [sel.prob(f) for f in xs]
        i = max(range(len(probs)), key=probs.__getitem__)
        return probs[i], bool(ys[i])

    ans = [(wt, *best(xs, ys)) for wt, xs, ys, *_ in groups]
    una = [(wt, best(xs, ys)[0]) for wt, xs, ys, *_ in unans]
    wa, wu = sum(a[0] for a in ans) or 1.0, sum(u[0] for u in una) or 1.0
    options = sorted({round(p, 3) for _, p, _ in ans} | {round(p, 3) for _, p in una} | {0.0})
    scored = []
    for t in options:
        right = sum(wt for wt, p, ok in ans if ok and p >= t) / wa
        refused = sum(wt for wt, p in una if p < t) / wu
        scored.append((right + REFUSAL_WEIGHT * refused, -t, right, refused))
    total, neg_t, right, refused = max(scored)
    top1 = sum(wt for wt, _, ok in ans if ok) / wa
    return -neg_t, {"threshold": -neg_t, "fit_right_at_threshold": round(right, 3),
                    "fit_unanswerable_refused": round(refused, 3), "fit_top1_right": round(top1, 3),
                    "questions": len(groups), "unanswerable": len(unans)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rag.evaluation.fit_selector", description=__doc__.split("\n")[0])
    ap.add_argument("--squad", default=str(DEFAULT_SQUAD), help="SQuAD-layout file whose FIT split is used")
    ap.add_argument("--gold", default=str(DEFAULT_GOLD), help="gold set folder (default: eval/)")
    ap.add_argument("--out", default=str(WEIGHTS), help="where to write the weights (default: the package's)")
    ap.add_argument("-C", type=float, default=10.0, help="inverse regularization strength")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rag-fit-") as tmp:
        groups, unans = collect(Path(args.squad), Path(args.gold), Path(tmp))
    sel, stats = fit(groups, unans, args.C)
    refusal, refusal_stats = fit_refusal(sel, groups, unans)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    body = {**sel.to_dict(), "fitted_on": {"squad": Path(args.squad).name, "split": "fit", "gold": "questions.jsonl",
                                          **stats},
            "refusal": {**refusal.to_dict(), "fitted_on": refusal_stats}}
    out.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(stats, ensure_ascii=False))
    print("refusal: " + json.dumps(refusal_stats, ensure_ascii=False))
    print("weights: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(sel.names, sel.coef)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
