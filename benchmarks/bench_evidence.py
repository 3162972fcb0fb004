"""How faithful and how costly the model's word evidence is: delete it, and see how far the score falls.

    python benchmarks/bench_evidence.py [--split test] [--limit N] [--model-dir DIR]

Takes every (clause, label) the optimised model flags on the split's clauses, as analyze() would
explain it with words: by the model's explainer (``analyzer/model/explainer.py``, the default) and
by occlusion over jieba words (``analyzer/explain.py``) in three settings. For each it prints:
extra model runs per explained clause, milliseconds per explained clause, the evidence's mean
length, and what deleting the evidence from the clause does to that label's score (mean and
median drop, the share of findings whose score hardly moves (drop under 0.05), and the share
that fall below their threshold). A baseline
deletes a random run of words of the same length from each clause. Evidence worth showing a
user is evidence whose removal changes the decision; the random baseline says how much any
deletion of that length would.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data import load_clauses  # noqa: E402
from analyzer.explain import CHUNKS, occlusion_many, words  # noqa: E402
from analyzer.model.fast import FastClauseModel  # noqa: E402
from analyzer.model.features import model_input  # noqa: E402
from analyzer.model.score_cache import ScoreCache  # noqa: E402

SETTINGS = [
    ("explainer (default, no extra runs)", None),
    (f"occlusion: groups of {CHUNKS}, then words", {"chunks": CHUNKS, "refine": True}),
    ("occlusion: groups of 4, then words", {"chunks": 4, "refine": True}),
    (f"occlusion: groups of {CHUNKS} only", {"chunks": CHUNKS, "refine": False}),
]


def delete(text: str, spans: list[tuple[int, int]]) -> str:
    for s, e in sorted(spans, reverse=True):
        text = text[:s] + text[e:]
    return text


def random_run(text: str, chars: int, rng: random.Random) -> list[tuple[int, int]]:
    """A random run of consecutive words covering at least ``chars`` characters."""
    spans = words(text) or [(0, len(text))]
    k = rng.randrange(len(spans))
    out = [spans[k]]
    while sum(e - s for s, e in out) < chars and (k + len(out)) < len(spans):
        out.append(spans[k + len(out)])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="test", choices=["dev", "test"])
    ap.add_argument("--limit", type=int, default=None, help="only the first N flagged (clause, label) pairs")
    ap.add_argument("--model-dir", default=None, help="another model folder (default: the one analyze() runs)")
    args = ap.parse_args()
    model = FastClauseModel(args.model_dir)
    clauses = load_clauses(args.split)
    pairs = [model_input(c["text"], c["heading"]) for c in clauses]
    base = model.predict(pairs)
    items = [(i, int(j)) for i, row in enumerate(base) for j in np.where(row >= model.thresholds)[0]][: args.limit]
    n_clauses = len({i for i, _ in items})
    print(f"split {args.split}: {len(clauses)} clauses; the {model.layers}-layer optimised model flags {len(items)} "
          f"(clause, label) pairs in {n_clauses} clauses\n")
    print(f"{'evidence':36s} {'runs/clause':>11s} {'ms/clause':>9s} {'chars':>6s} {'mean drop':>9s} {'median':>6s} "
          f"{'< 0.05':>6s} {'falls below':>11s} | {'random: drop':>12s} {'falls below':>11s}")

    def effect(spans_of: list[list[tuple[int, int]]]) -> tuple[float, float, float, float]:
        variants = [(delete(pairs[i][0], spans), pairs[i][1]) for (i, _j), spans in zip(items, spans_of)]
        probs = model.predict(variants)
        drops = np.array([base[i, j] - probs[k, j] for k, (i, j) in enumerate(items)])
        below = [probs[k, j] < model.thresholds[j] for k, (_i, j) in enumerate(items)]
        return float(drops.mean()), float(np.mean(below)), float(np.median(drops)), float(np.mean(drops < 0.05))

    rng = random.Random(13)
    for name, kw in SETTINGS:
        if kw is None:
            if model.explainer is None:
                print(f"{name:36s} (this model has no explainer)")
                continue
            # as in analyze(): the scoring pass kept the hidden states of the clauses near a threshold
            model.predict(pairs)
            t0 = time.perf_counter()
            states = model.states([pairs[i] for i, _j in items])
            ev = [model.explainer.explain(pairs[i][0], state, [j])[0] for (i, j), state in zip(items, states)]
            dt, runs = time.perf_counter() - t0, 0
        else:
            cache = ScoreCache(100_000)
            cache.predict(model, pairs)  # as in analyze(): the clauses themselves are already scored
            misses = cache.misses
            t0 = time.perf_counter()
            ev = occlusion_many([(pairs[i][0], pairs[i][1], j) for i, j in items],
                                lambda rows: cache.predict(model, list(rows)), **kw)
            dt = time.perf_counter() - t0
            runs = cache.misses - misses
        spans_of = [[(s, e) for s, e, _d in spans] for spans in ev]
        chars = float(np.mean([sum(e - s for s, e in spans) for spans in spans_of]))
        drop, below, median, small = effect(spans_of)
        rand = [random_run(pairs[i][0], sum(e - s for s, e in spans), rng) for (i, _j), spans in zip(items, spans_of)]
        r_drop, r_below, _m, _s = effect(rand)
        print(f"{name:36s} {runs / n_clauses:11.1f} {1000 * dt / n_clauses:9.1f} {chars:6.1f} {drop:9.3f} {median:6.3f} "
              f"{small:6.1%} {below:11.1%} | {r_drop:12.3f} {r_below:11.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
