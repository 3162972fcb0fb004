"""Why the model flagged a clause: the words whose removal lowers the label's score most.

Occlusion over jieba words, in two stages to bound the cost: first over up to ``CHUNKS`` groups
of adjacent words, then over the single words of the strongest group. All findings of a document
are explained together, so each stage is one batched model call.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Callable, Sequence

import numpy as np

CHUNKS = 6
MIN_DROP = 0.05
_WORDY = re.compile(r"[\w\u4e00-\u9fff]")
_jieba_lock = threading.Lock()
_tokenizer = None


def _jieba():
    global _tokenizer
    with _jieba_lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            _tokenizer = tk
    return _tokenizer


def words(text: str) -> list[tuple[int, int]]:
    """Spans of the jieba words of ``text`` that carry letters or digits."""
    return [(s, e) for w, s, e in _jieba().tokenize(text) if _WORDY.search(w)]


def occlusion_many(
    items: Sequence[tuple[str, str, int, float]],
    score: Callable[[Sequence[tuple[str, str]]], np.ndarray],
) -> list[list[tuple[int, int, float]]]:
    """For each (clause text, heading, label index, base score): evidence spans (start, end, drop).

    ``score`` maps (text, heading) pairs to probabilities (n, n_labels).
    """
    groups_of: list[list[list[tuple[int, int]]]] = []
    variants: list[tuple[str, str]] = []
    owner: list[int] = []
    for k, (text, heading, _j, _base) in enumerate(items):
        spans = words(text)
        size = max(1, -(-len(spans) // CHUNKS))
        groups = [spans[i : i + size] for i in range(0, len(spans), size)]
        groups_of.append(groups)
        for g in groups:
            variants.append((text[: g[0][0]] + text[g[-1][1] :], heading))
            owner.append(k)
    probs = score(variants) if variants else np.zeros((0, 0))
    best_group: list[tuple[list[tuple[int, int]], float] | None] = [None] * len(items)
    first = {k: owner.index(k) for k in set(owner)}
    for v, k in enumerate(owner):
        _, _, j, base = items[k]
        drop = base - float(probs[v, j])
        g = groups_of[k][v - first[k]]
        # a confident clause may not drop far for any one group: its strongest group still explains it
        if drop > 0.0 and (best_group[k] is None or drop > best_group[k][1]):
            best_group[k] = (g, drop)
    # stage 2: single words inside each strongest group
    variants, owner2, cands = [], [], []
    for k, bg in enumerate(best_group):
        if bg is None or len(bg[0]) < 2:
            continue
        text, heading = items[k][0], items[k][1]
        for s, e in bg[0]:
            variants.append((text[:s] + text[e:], heading))
            owner2.append(k)
            cands.append((s, e))
    probs = score(variants) if variants else np.zeros((0, 0))
    picked: list[list[tuple[int, int, float]]] = [[] for _ in items]
    for v, k in enumerate(owner2):
        _, _, j, base = items[k]
        drop = base - float(probs[v, j])
        if drop >= MIN_DROP:
            picked[k].append((cands[v][0], cands[v][1], drop))
    out = []
    for k, bg in enumerate(best_group):
        if bg is None:
            out.append([])
            continue
        words_ = sorted(picked[k], key=lambda x: -x[2])[:2]
        # no single word matters alone: the group as a whole is the evidence
        out.append(words_ or [(bg[0][0][0], bg[0][-1][1], bg[1])])
    return out
