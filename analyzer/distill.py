"""``python -m analyzer.distill``: the shallow student the optimised path runs, from the fine-tuned model.

The student keeps every other encoder layer of the fine-tuned 12-layer classifier in
``models/clause-classifier/`` (and its embeddings and head), then is trained on the train split
(with the teacher recipe's augmentation) towards the mean of the gold labels and the teacher's
probabilities. Half the layers make each clause about half the work, which is what the
5,000-character latency target needs. Prints dev figures per epoch, keeps the best epoch by dev
macro-F1, chooses per-label thresholds on dev and writes ``models/clause-classifier-6l/`` in the
same format as the teacher, plus the layer count and the sha256 of the teacher it was distilled
from. The test split is never read here.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

import torch

from analyzer.augment import augment
from analyzer.data import load_clauses
from analyzer.metrics import choose_thresholds, format_report, multilabel_report
from analyzer.model import DEFAULT_MODEL_DIR, FAST_MODEL_DIR, MODEL_WEIGHTS, ClauseModel, encode_batch, save_model
from analyzer.model.features import model_input
from analyzer.model.network import cut
from analyzer.taxonomy import LABEL_IDS
from analyzer.train import (PRECISIONS, _batches, _targets, fix_seeds, keep_if_better, optimiser_step, predict,
                            run_record, training_logits, warmup_then_linear_decay)

DEFAULTS = {
    "seed": 13,
    "keep_layers": [1, 3, 5, 7, 9, 11],
    "epochs": 5,
    "batch_size": 16,
    "lr": 8e-5,
    "head_lr": 5e-4,
    "weight_decay": 0.01,
    "warmup": 0.06,
    # weight of the teacher's probabilities in the target (the rest is the gold labels): the
    # teacher's soft scores carry what it learned about near misses, the gold keeps it honest
    "teacher_weight": 0.5,
    # the teacher recipe's training-time variation (numbering, names, spacing) of train clauses
    "augment": True,
    # hard negatives (fair clauses written to look unfair) learn from gold alone: the teacher's
    # confident mistakes on them would otherwise become the student's
    "gold_for_hard_negatives": False,
    # the student's training forward pass: "fp32" or "bf16" autocast (as for the teacher, analyzer.train)
    "precision": "fp32",
}


def distill(config: dict, teacher_dir: Path, out_dir: Path, *, limit: int | None = None,
            max_steps: int | None = None, log=print) -> dict:
    seed = config["seed"]
    fix_seeds(seed)

    teacher = ClauseModel(teacher_dir)
    tok, max_len = teacher.tokenizer, teacher.max_len
    train_c, dev_c = load_clauses("train"), load_clauses("dev")
    if limit:
        train_c, dev_c = train_c[:limit], dev_c[: max(8, limit // 2)]
    train_pairs = [model_input(c["text"], c["heading"]) for c in train_c]
    dev_pairs = [model_input(c["text"], c["heading"]) for c in dev_c]
    y_train, y_dev = _targets(train_c), _targets(dev_c)
    t0 = time.perf_counter()
    w = config["teacher_weight"]
    soft = (1 - w) * y_train + w * teacher.predict(train_pairs, batch_size=64)
    if config.get("gold_for_hard_negatives"):
        hard = [i for i, c in enumerate(train_c) if c.get("hard_negative")]
        soft[hard] = y_train[hard]
    soft = torch.from_numpy(soft)

    student = cut(teacher.net, config["keep_layers"])
    student.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    body = [p for n, p in student.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": config["lr"], "weight_decay": config["weight_decay"]},
                             {"params": list(student.head.parameters()), "lr": config["head_lr"]}])
    steps_per_epoch = -(-len(train_c) // config["batch_size"])
    total = steps_per_epoch * config["epochs"] if max_steps is None else max_steps
    sched = warmup_then_linear_decay(opt, total, config["warmup"])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng = random.Random(seed)
    lengths = [len(c["text"]) for c in train_c]
    best: dict = {"macro_f1": -1.0}
    history = []
    step = 0
    for epoch in range(1, config["epochs"] + 1):
        student.train()
        for b in _batches(len(train_c), lengths, config["batch_size"], rng):
            if config["augment"]:
                batch = [model_input(augment(train_c[i]["text"], rng), train_c[i]["heading"]) for i in b]
            else:
                batch = [train_pairs[i] for i in b]
            logits = training_logits(student, encode_batch(tok, batch, max_len), config.get("precision", "fp32"))
            loss = loss_fn(logits, soft[b])
            optimiser_step(student, opt, sched, loss)
            step += 1
            if max_steps is not None and step >= max_steps:
                break
        probs = predict(student, tok, dev_pairs, max_len)
        thr = choose_thresholds(y_dev, probs)
        rep = multilabel_report(y_dev, probs >= thr, LABEL_IDS)
        history.append({"epoch": epoch, "dev_macro_f1": rep["macro_f1"], "dev_micro_f1": rep["micro_f1"],
                        "dev_fair_fpr": rep["fair_fpr"], "seconds": round(time.perf_counter() - t0)})
        log(format_report(rep, f"student dev after epoch {epoch} ({time.perf_counter() - t0:.0f} s, thresholds tuned on dev)"))
        best = keep_if_better(best, rep, epoch, thr, student)
        if max_steps is not None and step >= max_steps:
            break

    student.load_state_dict(best["state"], strict=False)
    info = {
        "labels": list(LABEL_IDS),
        "thresholds": dict(zip(LABEL_IDS, best["thresholds"])),
        "max_len": max_len,
        "prune_vocab": teacher.config["prune_vocab"],
        "layers": len(config["keep_layers"]),
        "distillation": {
            **config,
            "teacher_weights_sha256": hashlib.sha256((teacher_dir / MODEL_WEIGHTS).read_bytes()).hexdigest(),
            **run_record(best, history, len(train_c), len(dev_c), t0),
        },
    }
    save_model(student, info, out_dir)
    log(f"best epoch {best['epoch']}: dev macro-F1 {best['macro_f1']:.4f}; wrote {out_dir}")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analyzer.distill", description=__doc__)
    ap.add_argument("--teacher", type=Path, default=DEFAULT_MODEL_DIR)
    ap.add_argument("--out", type=Path, default=FAST_MODEL_DIR)
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (the target machine has 2 cores)")
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--gold-for-hard-negatives", action="store_true",
                    help="train hard-negative clauses towards gold alone, without the teacher's probabilities")
    ap.add_argument("--precision", choices=PRECISIONS, default=DEFAULTS["precision"],
                    help="the student's training forward pass in fp32 or under bfloat16 autocast (default %(default)s)")
    ap.add_argument("--limit", type=int, default=None, help="train on the first N clauses only (smoke runs)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after N optimiser steps (smoke runs)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    config = {**DEFAULTS, "epochs": args.epochs, "seed": args.seed, "augment": not args.no_augment,
              "precision": args.precision,
              "gold_for_hard_negatives": args.gold_for_hard_negatives or DEFAULTS["gold_for_hard_negatives"]}
    distill(config, args.teacher, args.out, limit=args.limit, max_steps=args.max_steps, log=lambda s: print(s, flush=True))
    print(f"distillation took {time.perf_counter() - t0:.0f} s; the student's evidence explainer now belongs to the "
          "old weights: run `python -m analyzer.fit_explainer` (about 7 minutes)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
