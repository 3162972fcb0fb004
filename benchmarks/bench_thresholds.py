"""How well each way of picking per-label thresholds on dev carries over to agreements it did not see.

    python benchmarks/bench_thresholds.py [--model-dir DIR] [--rounds 100]

Scores the dev clauses once with the model in fp32 (as training and distillation do when they pick
thresholds), then, many times over, splits the dev agreements into two random halves, picks
thresholds on one half with each method and scores macro-F1 and fair-clause FPR on the other.
Methods: ``current`` (``analyzer.metrics.choose_thresholds``: each label's F1 maximum on the grid,
ties to the higher threshold), ``smoothed`` (the maximum of F1 averaged with the two neighbouring
grid points), ``middle`` (the middle of the tied maximum). The test split is not read.
"""
from __future__ import annotations

import argparse
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data import load_clauses  # noqa: E402
from analyzer.metrics import THRESHOLD_GRID, choose_thresholds, f1_curve, multilabel_report  # noqa: E402
from analyzer.model import FAST_MODEL_DIR, ClauseModel  # noqa: E402
from analyzer.model.features import model_input  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402
from analyzer.train import _targets  # noqa: E402

def pick(gold: np.ndarray, probs: np.ndarray, method: str) -> np.ndarray:
    if method == "current":
        return choose_thresholds(gold, probs)
    thr = []
    for j in range(gold.shape[1]):
        f = f1_curve(gold[:, j], probs[:, j])
        if method == "smoothed":
            f = np.convolve(np.pad(f, 1, mode="edge"), np.ones(3) / 3, mode="valid")
        ties = [k for k in range(len(THRESHOLD_GRID)) if f[k] >= f.max() - 1e-12]
        thr.append(THRESHOLD_GRID[ties[-1] if method == "smoothed" else ties[len(ties) // 2]])
    return np.array(thr)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=str(FAST_MODEL_DIR), help="model folder (default: the optimised path's)")
    ap.add_argument("--rounds", type=int, default=100, help="random halvings of the dev agreements")
    args = ap.parse_args()
    clauses = load_clauses("dev")
    gold = _targets(clauses).astype(bool)
    probs = ClauseModel(args.model_dir).predict([model_input(c["text"], c["heading"]) for c in clauses], batch_size=64)
    docs = sorted({c["doc_id"] for c in clauses})
    doc_of = np.array([docs.index(c["doc_id"]) for c in clauses])
    rng = random.Random(0)
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in ("current", "smoothed", "middle")}
    for _ in range(args.rounds):
        half = np.isin(doc_of, rng.sample(range(len(docs)), len(docs) // 2))
        for fit, held in ((half, ~half), (~half, half)):
            for method, out in results.items():
                rep = multilabel_report(gold[held], probs[held] >= pick(gold[fit], probs[fit], method), LABEL_IDS)
                out.append((rep["macro_f1"], rep["fair_fpr"]))
    print(f"dev: {len(clauses)} clauses in {len(docs)} agreements; {args.rounds} random halvings, both ways\n")
    print(f"{'method':10s} {'held-out macro-F1':>18s} {'sd':>7s} {'fair-clause FPR':>16s}")
    for method, out in results.items():
        v = np.array(out)
        print(f"{method:10s} {v[:, 0].mean():18.4f} {v[:, 0].std():7.4f} {v[:, 1].mean():16.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
