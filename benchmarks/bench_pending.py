"""How a model reads the pending waves: agreements by other writers that training never sees.

    python benchmarks/bench_pending.py [--model-dir DIR ...] [--backend onnx|torch] [--wave wave3 --wave wave4]

``datasets/pending/`` holds waves of agreements kept out of the corpus (their READMEs say why). A model trained
by ``python -m analyzer.train`` on the corpus has never seen them, so they measure, on about three times the
clauses of dev, how it generalises to other writers. Per wave and combined: macro and micro F1, the fair-clause
false-positive rate, and F1 per label, at the thresholds stored with each model. Nothing is tuned here. A model
trained with a wave moved into the corpus must not be scored on that wave.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data.corpus import clauses_of, pending_records  # noqa: E402
from analyzer.evaluate import load_model, model_predictions  # noqa: E402
from analyzer.metrics import label_matrix, multilabel_report  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402

WAVES = ("wave3", "wave4")


def score(model_dirs: list[str | None], waves: list[str], backend: str) -> str:
    sets = {w: [c for r in pending_records(w) for c in clauses_of(r)] for w in waves}
    everything = [c for w in waves for c in sets[w]]
    sets["combined"] = everything if len(waves) > 1 else []
    lines = []
    for name, clauses in sets.items():
        if clauses:
            lines.append(f"{name}: {len(clauses)} clauses, {sum(1 for c in clauses if c['labels'])} unfair, "
                         f"{sum(1 for c in clauses if not c['labels'])} fair")
    gold = label_matrix([c["labels"] for c in everything])
    reports: dict[str, dict[str, dict]] = {}
    for d in model_dirs:
        pred = model_predictions(everything, load_model(backend, d))
        reps = reports[d or "committed"] = {}
        at = 0
        for w in waves:
            n = len(sets[w])
            reps[w] = multilabel_report(gold[at : at + n], pred[at : at + n], LABEL_IDS)
            at += n
        if len(waves) > 1:
            reps["combined"] = multilabel_report(gold, pred, LABEL_IDS)
    cols = [w for w in sets if sets[w]]
    lines.append("\n" + f"{'model':40s} " + " ".join(f"{c + ' macro-F1':>18s} {'FPR':>6s}" for c in cols))
    for d, reps in reports.items():
        lines.append(f"{d[-40:]:40s} " + " ".join(f"{reps[c]['macro_f1']:18.3f} {reps[c]['fair_fpr']:6.3f}" for c in cols))
    last = cols[-1]
    lines.append(f"\nF1 per label ({last})" + "".join(f" {d[-14:]:>14s}" for d in reports))
    for lab in LABEL_IDS:
        lines.append(f"{lab:24s}" + "".join(f" {reps[last]['per_label'][lab]['f1']:14.3f}" for reps in reports.values()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", action="append", default=None,
                    help="model folder to score (repeatable; default: the one analyze() runs)")
    ap.add_argument("--backend", choices=("onnx", "torch"), default="onnx",
                    help="int8 ONNX as analyze() runs it (default) or fp32 PyTorch")
    ap.add_argument("--wave", action="append", default=None, help=f"pending wave (repeatable; default {WAVES})")
    args = ap.parse_args(argv)
    print(score(args.model_dir or [None], args.wave or list(WAVES), args.backend))
    return 0


if __name__ == "__main__":
    sys.exit(main())
