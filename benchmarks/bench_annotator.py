"""How far an independent annotator agrees with the gold labels, and how far the model is from both.

    python benchmarks/bench_annotator.py [--split dev|test] [--model-dir DIR] [--no-model]

The blind second annotation (``datasets/review/blind/``) is scored against gold as if it were a model:
per-label F1, macro and micro F1, and the fair-clause false-positive rate, the figures of the issue's
targets. Beside it, the model ``analyze()`` runs (int8 student, or ``--model-dir``) against gold, against
the annotator, and against gold on the clauses where gold and the annotator agree. Nothing is tuned here;
the annotation was written once and is never used to choose a model.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data.blind import BLIND_SPLITS, load_blind  # noqa: E402
from analyzer.evaluate import load_model, model_predictions  # noqa: E402
from analyzer.metrics import label_matrix, multilabel_report  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402


def report(split: str, model_dir: str | None, with_model: bool) -> str:
    clauses, blind = load_blind(split)
    gold, ann = label_matrix([c["labels"] for c in clauses]), label_matrix(blind)
    docs = len({c["doc_id"] for c in clauses})
    agree = (gold == ann).all(1)
    # (row name, short column name, report)
    rows = [("blind annotator against gold", "annotator/gold", multilabel_report(gold, ann, LABEL_IDS))]
    lines = [f"split {split}: {len(clauses)} clauses in {docs} agreements; gold unfair {int(gold.any(1).sum())}, "
             f"annotator unfair {int(ann.any(1).sum())}; gold and annotator agree on {int(agree.sum())} clauses"]
    model = None
    if with_model:
        model = model_predictions(clauses, load_model("onnx", model_dir))
        rows += [("model against gold", "model/gold", multilabel_report(gold, model, LABEL_IDS)),
                 ("model against the annotator", "model/annotator", multilabel_report(ann, model, LABEL_IDS)),
                 (f"model against gold, {int(agree.sum())} agreed clauses", "model/gold agreed",
                  multilabel_report(gold[agree], model[agree], LABEL_IDS))]
    lines.append(f"\n{'':44s} {'macro-F1':>8s} {'micro-F1':>8s} {'fair FPR':>8s}")
    lines += [f"{name:44s} {r['macro_f1']:8.3f} {r['micro_f1']:8.3f} {r['fair_fpr']:8.3f}" for name, _, r in rows]
    lines.append(f"\nF1 per label{'':12s} " + " ".join(f"{short:>17s}" for _, short, _ in rows))
    for lab in LABEL_IDS:
        lines.append(f"{lab:24s} " + " ".join(f"{r['per_label'][lab]['f1']:17.3f}" for _, _, r in rows))
    if model is not None:
        fair = ~gold.any(1)
        false_pos = fair & model.any(1)
        hard = np.array([c["hard_negative"] for c in clauses])
        wrong = model != gold
        lines.append(
            f"\nmodel false positives on fair clauses: {int(false_pos.sum())} ({int((false_pos & hard).sum())} hard negatives); "
            f"the annotator flags {int((false_pos & ann.any(1)).sum())} of them"
        )
        lines.append(f"model's (clause, label) errors against gold: {int(wrong.sum())}; the annotator sides with the model on "
                     f"{int((wrong & (ann == model)).sum())}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=BLIND_SPLITS, action="append", help="dev, test or both (default both)")
    ap.add_argument("--model-dir", default=None, help="model folder for the int8 path (default: the committed student)")
    ap.add_argument("--no-model", action="store_true", help="the annotator against gold only")
    args = ap.parse_args(argv)
    for split in args.split or BLIND_SPLITS:
        print(report(split, args.model_dir, not args.no_model), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
