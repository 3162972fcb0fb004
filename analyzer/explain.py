"""Why the model flagged a clause: the words whose removal lowers the label's score most.

Occlusion over jieba words, in two stages to bound the cost: first over up to ``CHUNKS`` groups
of adjacent words, then over the single words of the strongest group. Each stage is one batched
model call per clause, whatever the number of its labels.
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
    items: Sequence[tuple[str, str, int]],
    score: Callable[[Sequence[tuple[str, str]]], np.ndarray],
) -> list[list[tuple[int, int, float]]]:
    """For each (clause text, heading, label index): evidence spans (start, end, drop in score).

    ``score`` maps (text, heading) pairs to probabilities (n, n_labels). It is called with one
    clause at a time, the clause itself first and then its occluded variants, and drops are
    measured against that first row: with dynamic int8 quantisation a score depends a little on
    the rest of its batch, so the reference must share the batch. Labels of the same clause share
    the calls.
    """
    out: list[list[tuple[int, int, float]]] = [[] for _ in items]
    by_clause: dict[tuple[str, str], list[int]] = {}
    for k, (text, heading, _j) in enumerate(items):
        by_clause.setdefault((text, heading), []).append(k)
    for (text, heading), ks in by_clause.items():
        spans = words(text)
        if not spans:
            continue
        size = max(1, -(-len(spans) // CHUNKS))
        groups = [spans[i : i + size] for i in range(0, len(spans), size)]
        probs = score([(text, heading)] + [(text[: g[0][0]] + text[g[-1][1] :], heading) for g in groups])
        best: dict[int, tuple[list[tuple[int, int]], float]] = {}
        for k in ks:
            drops = probs[0, items[k][2]] - probs[1:, items[k][2]]
            g = int(np.argmax(drops))
            # a confident clause may not drop far for any one group: its strongest group still explains it
            if drops[g] > 0.0:
                best[k] = (groups[g], float(drops[g]))
        # stage 2: single words inside each label's strongest group
        cands = sorted({span for g, _ in best.values() if len(g) >= 2 for span in g})
        probs2 = score([(text, heading)] + [(text[:s] + text[e:], heading) for s, e in cands]) if cands else None
        for k, (g, group_drop) in best.items():
            j = items[k][2]
            picked = []
            if probs2 is not None and len(g) >= 2:
                for v, (s, e) in enumerate(cands):
                    drop = float(probs2[0, j] - probs2[v + 1, j])
                    if (s, e) in g and drop >= MIN_DROP:
                        picked.append((s, e, drop))
            # no single word matters alone: the group as a whole is the evidence
            out[k] = sorted(picked, key=lambda x: -x[2])[:2] or [(g[0][0], g[-1][1], group_drop)]
    return out
