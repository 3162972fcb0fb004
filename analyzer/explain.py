"""Why the model flagged a clause: the words whose removal lowers the label's score most.

Occlusion over jieba words, in two stages to bound the cost: first over up to ``CHUNKS`` groups
of adjacent words, then over the single words of the strongest group. Each stage is one model
call for all the findings of a document, and the labels of one clause share its variants.
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
    *,
    chunks: int = CHUNKS,
    refine: bool = True,
) -> list[list[tuple[int, int, float]]]:
    """For each (clause text, heading, label index): evidence spans (start, end, drop in score).

    ``score`` maps (text, heading) pairs to probabilities (n, n_labels); it is called twice, once
    per stage, with every clause followed by its occluded variants. Drops are measured against
    the clause's own row of the same call. Labels of the same clause share the variants.
    ``chunks`` is the number of word groups of the first stage; ``refine=False`` skips the
    second stage and returns the strongest group (``benchmarks/bench_evidence.py`` measures both).
    """
    out: list[list[tuple[int, int, float]]] = [[] for _ in items]
    by_clause: dict[tuple[str, str], list[int]] = {}
    for k, (text, heading, _j) in enumerate(items):
        by_clause.setdefault((text, heading), []).append(k)
    clauses = list(by_clause)

    groups_of: list[list[list[tuple[int, int]]]] = []
    rows, first = [], []
    for text, heading in clauses:
        spans = words(text)
        size = max(1, -(-len(spans) // chunks))
        groups = [spans[i : i + size] for i in range(0, len(spans), size)]
        groups_of.append(groups)
        first.append(len(rows))
        rows.append((text, heading))
        rows.extend((text[: g[0][0]] + text[g[-1][1] :], heading) for g in groups)
    probs = score(rows)
    best: dict[int, tuple[list[tuple[int, int]], float]] = {}
    cands_of: list[list[tuple[int, int]]] = []
    for c, ks in enumerate(by_clause.values()):
        groups, r = groups_of[c], first[c]
        for k in ks:
            if not groups:
                continue
            j = items[k][2]
            drops = probs[r, j] - probs[r + 1 : r + 1 + len(groups), j]
            g = int(np.argmax(drops))
            # a confident clause may not drop far for any one group: its strongest group still explains it
            if drops[g] > 0.0:
                best[k] = (groups[g], float(drops[g]))
        cands_of.append(sorted({span for k in ks if k in best and len(best[k][0]) >= 2 for span in best[k][0]})
                        if refine else [])

    # stage 2: single words inside each label's strongest group
    rows, first = [], []
    for c, (text, heading) in enumerate(clauses):
        first.append(len(rows))
        if cands_of[c]:
            rows.append((text, heading))
            rows.extend((text[:s] + text[e:], heading) for s, e in cands_of[c])
    probs = score(rows) if rows else np.zeros((0, 0))
    for c, ks in enumerate(by_clause.values()):
        r, cands = first[c], cands_of[c]
        for k in ks:
            if k not in best:
                continue
            g, group_drop = best[k]
            j = items[k][2]
            picked = []
            if len(g) >= 2:
                for v, (s, e) in enumerate(cands):
                    drop = float(probs[r, j] - probs[r + 1 + v, j])
                    if (s, e) in g and drop >= MIN_DROP:
                        picked.append((s, e, drop))
            # no single word matters alone: the group as a whole is the evidence
            out[k] = sorted(picked, key=lambda x: -x[2])[:2] or [(g[0][0], g[-1][1], group_drop)]
    return out
