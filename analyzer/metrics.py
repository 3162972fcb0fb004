"""Multi-label metrics shared by training, evaluation and benchmarks."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from analyzer.taxonomy import LABEL_IDS


def label_matrix(label_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """One row per clause, one boolean column per taxonomy label."""
    y = np.zeros((len(label_lists), len(LABEL_IDS)), dtype=bool)
    for i, labels in enumerate(label_lists):
        for lab in labels:
            y[i, LABEL_IDS.index(lab)] = True
    return y


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def multilabel_report(gold: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> dict:
    """Per-label P/R/F1 and support, micro and macro F1, and the false-positive rate on fair clauses."""
    gold = gold.astype(bool)
    pred = pred.astype(bool)
    per = {}
    for j, lab in enumerate(labels):
        tp = int((gold[:, j] & pred[:, j]).sum())
        fp = int((~gold[:, j] & pred[:, j]).sum())
        fn = int((gold[:, j] & ~pred[:, j]).sum())
        p, r, f = prf(tp, fp, fn)
        per[lab] = {"precision": p, "recall": r, "f1": f, "support": int(gold[:, j].sum())}
    tp = int((gold & pred).sum())
    fp = int((~gold & pred).sum())
    fn = int((gold & ~pred).sum())
    fair = ~gold.any(1)
    return {
        "per_label": per,
        "micro_f1": prf(tp, fp, fn)[2],
        "macro_f1": float(np.mean([v["f1"] for v in per.values()])),
        "fair_fpr": float(pred[fair].any(1).mean()) if fair.any() else 0.0,
        "n": int(len(gold)),
    }


THRESHOLD_GRID: tuple[float, ...] = tuple(round(x, 2) for x in np.arange(0.1, 0.96, 0.05))


def f1_curve(gold: np.ndarray, probs: np.ndarray, grid: Sequence[float] = THRESHOLD_GRID) -> np.ndarray:
    """One label's F1 at each threshold of ``grid`` (``gold`` and ``probs`` are that label's column)."""
    gold = gold.astype(bool)
    out = []
    for t in grid:
        pred = probs >= t
        out.append(prf(int((gold & pred).sum()), int((~gold & pred).sum()), int((gold & ~pred).sum()))[2])
    return np.array(out)


def choose_thresholds(gold: np.ndarray, probs: np.ndarray, grid: Sequence[float] | None = None) -> np.ndarray:
    """Per-label threshold maximising F1 on the given (dev) data; ties go to the higher threshold."""
    grid = THRESHOLD_GRID if grid is None else grid
    out = np.full(gold.shape[1], 0.5)
    for j in range(gold.shape[1]):
        f = f1_curve(gold[:, j], probs[:, j], grid)
        out[j] = grid[len(f) - 1 - int(np.argmax(f[::-1]))]  # the last of the tied maxima
    return out


def constrain_fair_fpr(gold: np.ndarray, probs: np.ndarray, thresholds: np.ndarray, max_fpr: float,
                       step: float = 0.05, ceiling: float = 0.95) -> np.ndarray:
    """Raise per-label thresholds until the fair-clause false-positive rate on these (dev) data is at
    most ``max_fpr``, each time on the label whose raise removes the most fair-clause false positives
    per point of macro-F1 lost."""
    gold = gold.astype(bool)
    thr = thresholds.astype(float).copy()
    fair = ~gold.any(1)

    def fpr_and_f1(t: np.ndarray) -> tuple[float, float]:
        pred = probs >= t
        f1 = np.mean([prf(int((gold[:, j] & pred[:, j]).sum()), int((~gold[:, j] & pred[:, j]).sum()),
                          int((gold[:, j] & ~pred[:, j]).sum()))[2] for j in range(gold.shape[1])])
        return float(pred[fair].any(1).mean()) if fair.any() else 0.0, float(f1)

    fpr, f1 = fpr_and_f1(thr)
    while fpr > max_fpr:
        best = None
        for j in range(len(thr)):
            if thr[j] + step > ceiling + 1e-9:
                continue
            cand = thr.copy()
            cand[j] = round(cand[j] + step, 2)
            c_fpr, c_f1 = fpr_and_f1(cand)
            gain = fpr - c_fpr
            if gain <= 0:
                continue
            score = gain / max(1e-6, f1 - c_f1)
            if best is None or score > best[0]:
                best = (score, cand, c_fpr, c_f1)
        if best is None:
            break
        _, thr, fpr, f1 = best
    return thr


def format_report(rep: dict, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'label':24s} {'P':>6s} {'R':>6s} {'F1':>6s} {'n':>5s}")
    for lab, v in rep["per_label"].items():
        lines.append(f"{lab:24s} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f} {v['support']:5d}")
    lines.append(f"micro-F1 {rep['micro_f1']:.4f}  macro-F1 {rep['macro_f1']:.4f}  fair-clause FPR {rep['fair_fpr']:.4f}")
    return "\n".join(lines)
