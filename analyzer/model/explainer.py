"""Word evidence without extra model runs: a small network trained to predict occlusion.

Occlusion (``analyzer/explain.py``) measures how far a label's score falls when words are deleted,
at about eleven model runs per finding. The explainer predicts that fall from the clause's last
hidden states, which the scoring pass computes anyway: it scores every run of one to
``MAX_WORDS`` consecutive jieba words, and the run with the largest predicted fall is the
evidence. It is trained on the model's own occlusion of the training clauses
(``python -m analyzer.fit_explainer``) and belongs to one set of weights: its file records their
sha256, and a model without a matching explainer falls back to occlusion. How far the score
really falls when its evidence is deleted is measured by ``benchmarks/bench_evidence.py``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from analyzer.explain import words
from analyzer.normalize import Normalized, normalize

EXPLAINER_WEIGHTS = "explainer.safetensors"
EXPLAINER_CONFIG = "explainer.json"
MAX_WORDS = 3


@dataclass(frozen=True)
class State:
    """What the explainer reads of one scoring run: last hidden states and where each token came from."""

    hidden: np.ndarray  # (tokens, hidden size), float16
    offsets: tuple[tuple[int, int], ...]  # character span of each token in the model's input text
    sequence_ids: tuple[int | None, ...]  # 0: the clause, 1: its heading, None: special tokens


def windows(text: str) -> list[tuple[int, int, int]]:
    """(start, end, number of words) of every run of 1 to ``MAX_WORDS`` consecutive jieba words of ``text``."""
    spans = words(text)
    return [(spans[a][0], spans[a + k - 1][1], k) for k in range(1, MAX_WORDS + 1) for a in range(len(spans) - k + 1)]


def features(
    text: str, state: State, head_weight: np.ndarray, norm: Normalized | None = None
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The candidate spans of ``text`` the model saw, and one feature row for each.

    A span's row: the mean hidden state of its tokens, the clause's mean (what the head reads), their
    product, each label's share of the logit that the span's tokens carry beyond an average token's,
    and the span's share of the tokens, its number of words and of characters.
    """
    hidden = state.hidden.astype(np.float32)
    pooled = hidden.mean(0)
    # tokens index the normalised text the model read; evidence spans index the clause as written
    back = (norm or normalize(text)).offsets
    tok = [(t, back[a], back[b - 1] + 1) for t, (seq, (a, b)) in enumerate(zip(state.sequence_ids, state.offsets))
           if seq == 0 and b > a]
    cands = windows(text)
    if not tok or not cands:
        return [], np.zeros((0, 3 * hidden.shape[1] + head_weight.shape[0] + 3), dtype=np.float32)
    t_idx, t_start, t_end = (np.array(v) for v in zip(*tok))
    w_start, w_end, w_words = (np.array(v) for v in zip(*cands))
    overlap = (t_start[None, :] < w_end[:, None]) & (t_end[None, :] > w_start[:, None])
    n = overlap.sum(1)
    seen = n > 0  # a span cut off by the model's length limit was never seen: it cannot be evidence
    overlap, n = overlap[seen], n[seen]
    h = (overlap.astype(np.float32) @ hidden[t_idx]) / n[:, None]
    frac = n / len(hidden)
    share = frac[:, None] * ((h - pooled) @ head_weight.T)
    rows = np.concatenate([h, np.broadcast_to(pooled, h.shape), h * pooled, share,
                           np.stack([frac, w_words[seen], (w_end - w_start)[seen]], 1)], 1)
    spans = [(int(a), int(b)) for a, b in zip(w_start[seen], w_end[seen])]
    return spans, rows.astype(np.float32)


def gelu(x: np.ndarray) -> np.ndarray:
    """tanh GELU, as the explainer was trained with (numpy has no erf); x*x*x: float32 ** 3 is 40 times slower."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


class Explainer:
    """Predicted fall of each label's logit when a span is deleted; see the module's docstring."""

    def __init__(self, tensors: dict[str, np.ndarray], config: dict) -> None:
        self.config = config
        self.mean, self.scale = tensors["mean"], tensors["scale"]
        self.w1, self.b1, self.w2, self.b2 = tensors["w1"], tensors["b1"], tensors["w2"], tensors["b2"]
        self.head_weight = tensors["head_weight"]

    @classmethod
    def load(cls, model_dir: Path, weights_sha256: str) -> "Explainer | None":
        """The explainer of ``model_dir`` if it was trained for exactly these weights, else None."""
        cfg_path, w_path = Path(model_dir) / EXPLAINER_CONFIG, Path(model_dir) / EXPLAINER_WEIGHTS
        if not (cfg_path.exists() and w_path.exists()):
            return None
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
        if config.get("model_weights_sha256") != weights_sha256:
            return None
        from safetensors.numpy import load_file

        return cls(load_file(str(w_path)), config)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(spans, n_labels) predicted falls of each label's logit for feature rows ``x``."""
        h = gelu(((x - self.mean) / self.scale) @ self.w1.T + self.b1)
        return h @ self.w2.T + self.b2

    def explain(
        self, text: str, state: State, labels: Sequence[int], norm: Normalized | None = None
    ) -> list[list[tuple[int, int, float]]]:
        """For each label index: [(start, end, predicted fall of the logit)] of its evidence in ``text``, or [] if none.

        ``norm``: ``normalize(text)``, if the caller has it already.
        """
        spans, x = features(text, state, self.head_weight, norm)
        if not spans:
            return [[] for _ in labels]
        drops = self.predict(x)
        out = []
        for j in labels:
            k = int(np.argmax(drops[:, j]))
            # like occlusion: a span whose deletion is not expected to lower the score explains nothing
            out.append([(*spans[k], float(drops[k, j]))] if drops[k, j] > 0.0 else [])
        return out
