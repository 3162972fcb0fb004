"""How much accuracy a shallower encoder costs: a student cut from the committed model, distilled, on dev.

    python benchmarks/bench_layer_drop.py [--keep 1,3,5,7,9,11] [--epochs 3]

The student keeps the listed encoder layers of the fine-tuned 12-layer model (its embeddings and
head too) and is trained for a few epochs on the train split towards the mean of the gold labels
and the teacher's probabilities. Prints dev macro-F1 and fair-clause FPR (thresholds tuned on dev)
for the teacher, for the cut student before training and after each epoch, then fp32 PyTorch
clauses per second of both on the dev clauses. Nothing is written; the test split is not read.
This is the measurement behind the next step of the speed work, not a model the analyzer uses.
"""
from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data import load_clauses  # noqa: E402
from analyzer.metrics import choose_thresholds, multilabel_report  # noqa: E402
from analyzer.model import ClauseModel, encode_batch  # noqa: E402
from analyzer.model.features import model_input  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402
from analyzer.train import _batches, _targets, optimiser_step, predict, warmup_then_linear_decay  # noqa: E402

BATCH, MAX_LEN, SEED = 16, 128, 13


def dev_line(name: str, y_dev: np.ndarray, probs: np.ndarray) -> str:
    rep = multilabel_report(y_dev, probs >= choose_thresholds(y_dev, probs), LABEL_IDS)
    return f"{name:44s} dev macro-F1 {rep['macro_f1']:.4f}  fair-clause FPR {rep['fair_fpr']:.4f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", default="1,3,5,7,9,11", help="encoder layers the student keeps (0-11)")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    keep = [int(x) for x in args.keep.split(",")]
    torch.set_num_threads(os.cpu_count() or 2)
    torch.manual_seed(SEED)

    teacher = ClauseModel()
    tok = teacher.tokenizer
    train_c, dev_c = load_clauses("train"), load_clauses("dev")
    train_pairs = [model_input(c["text"], c["heading"]) for c in train_c]
    dev_pairs = [model_input(c["text"], c["heading"]) for c in dev_c]
    y_train, y_dev = _targets(train_c), _targets(dev_c)
    t0 = time.perf_counter()
    soft = torch.from_numpy(0.5 * y_train + 0.5 * teacher.predict(train_pairs, batch_size=64))
    print(dev_line("teacher (12 layers, fp32)", y_dev, teacher.predict(dev_pairs, batch_size=64)), flush=True)

    student = copy.deepcopy(teacher.net)
    student.encoder.encoder.layer = torch.nn.ModuleList([student.encoder.encoder.layer[i] for i in keep])
    student.encoder.config.num_hidden_layers = len(keep)
    student.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    print(dev_line(f"student ({len(keep)} layers), before training", y_dev, predict(student, tok, dev_pairs, MAX_LEN)), flush=True)

    body = [p for n, p in student.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": 8e-5, "weight_decay": 0.01},
                             {"params": list(student.head.parameters()), "lr": 5e-4}])
    steps = args.epochs * -(-len(train_c) // BATCH)
    sched = warmup_then_linear_decay(opt, steps, 0.06)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng = random.Random(SEED)
    lengths = [len(c["text"]) for c in train_c]
    for epoch in range(1, args.epochs + 1):
        student.train()
        for b in _batches(len(train_c), lengths, BATCH, rng):
            loss = loss_fn(student(**encode_batch(tok, [train_pairs[i] for i in b], MAX_LEN)), soft[b])
            optimiser_step(student, opt, sched, loss)
        probs = predict(student, tok, dev_pairs, MAX_LEN)
        print(dev_line(f"student, epoch {epoch} ({time.perf_counter() - t0:.0f} s)", y_dev, probs), flush=True)

    for name, net in (("teacher", teacher.net), ("student", student)):
        t = time.perf_counter()
        predict(net, tok, dev_pairs, MAX_LEN)
        print(f"{name} fp32 PyTorch: {len(dev_pairs) / (time.perf_counter() - t):.1f} clauses/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
