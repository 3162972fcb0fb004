"""Split an agreement into clauses with exact offsets into the original text.

A clause is a sentence of a numbered item or paragraph (``text[c.start:c.end] == c.text``),
never empty, never overlapping another, whitespace trimmed. Headings (``五、退款规则``,
``第三章 会员服务``, ``【特别提示】``) are clauses too, marked ``is_heading``, and every clause
carries the path of headings it sits under, which the model and the UI use as context.

Splitting rules, in order: line breaks; sentence ends (。！？!? and ；before an inline list
marker such as （二）); sentences longer than ``LONG`` at ；; pieces longer than ``MAX_LEN``
at the last comma before the limit, else a hard cut.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LONG = 150
MAX_LEN = 300

_NUM_CN = "一二三四五六七八九十百零〇两壹贰叁肆伍陆柒捌玖拾"
# (style, pattern) at the start of a line; order matters: more specific first.
_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("markdown", re.compile(r"#{1,6}[ \t]+")),
    ("chapter", re.compile(rf"第[{_NUM_CN}\d]+(?:章|编|編|部分)[ \t\u3000]*")),
    ("section", re.compile(rf"第[{_NUM_CN}\d]+(?:节|節)[ \t\u3000]*")),
    ("article", re.compile(rf"第[{_NUM_CN}\d]+(?:条|條)[ \t\u3000:：、]*")),
    ("cn", re.compile(rf"[{_NUM_CN}]+[、.．][ \t\u3000]*")),
    ("paren_cn", re.compile(rf"[（(][{_NUM_CN}]+[)）][ \t\u3000、]*")),
    ("num3", re.compile(r"\d{1,3}[.．]\d{1,3}[.．]\d{1,3}[.．]?(?!\d)[ \t\u3000]*")),
    ("num2", re.compile(r"\d{1,3}[.．]\d{1,3}[.．]?(?![\d.．])[ \t\u3000]*")),
    ("num1", re.compile(r"\d{1,3}(?:[.．、](?![\d.．])|[)）])[ \t\u3000]*")),
    ("paren_num", re.compile(r"[（(]\d{1,3}[)）][ \t\u3000]*")),
    ("circled", re.compile(r"[\u2460-\u2473\u2776-\u277f][ \t\u3000]*")),
    ("bullet", re.compile(r"[•·●○■□▪◆◇▶►\-\*–—][ \t\u3000]+|[•●○■□▪◆◇▶►]")),
    ("bracket", re.compile(r"【[^】\n]{1,30}】[ \t\u3000]*")),
]
# Nesting of numbered headings: a heading closes every open heading of the same or a deeper rank.
# Unnumbered and 【】 headings are weakest: any numbered heading closes them.
_RANK = {"chapter": 0, "section": 1, "article": 2, "cn": 3, "paren_cn": 4, "num1": 5, "num2": 6,
         "num3": 7, "paren_num": 8, "circled": 9, "bracket": 100, "plain": 100}
_TERMINALS = "。！？!?"
_CLOSERS = "”’」』）)】》\"'〕"
_SPACE = " \t\u3000\u00a0\u200b\ufeff\r\x0b\x0c"
_LIST_AFTER_SEMI = re.compile(rf"[ \t\u3000]*(?:[（(][{_NUM_CN}\d]{{1,3}}[)）]|[\u2460-\u2473]|\d{{1,2}}[.、)）](?!\d))")
_LINE = re.compile(r"[^\n\r\u2028\u2029\x85]+")
_HEADING_PUNCT = re.compile(r"[。！？!?；;，,：:]")
_WORDY = re.compile(r"[\w\u4e00-\u9fff]")


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str
    heading_path: tuple[str, ...] = ()
    is_heading: bool = False
    number: str = ""

    @property
    def heading(self) -> str:
        """The headings above this clause, outermost first, joined for display."""
        return " > ".join(self.heading_path)


def _marker(line: str) -> tuple[str, str]:
    for style, pat in _MARKERS:
        m = pat.match(line)
        if m:
            return style, m.group(0)
    return "", ""


def _is_heading(line: str, style: str, marker: str) -> bool:
    rest = line[len(marker) :].strip(_SPACE)
    if style == "markdown":
        return True
    if style == "bracket":
        return not rest
    if style == "bullet":
        return False
    limit = 30 if style in ("chapter", "section") else 22
    if _HEADING_PUNCT.search(line[len(marker):]) or len(rest) > limit:
        return False
    if style:
        return bool(rest) or style in ("chapter", "section", "article")
    # An unnumbered line is a heading only when short and plainly a title ("退款规则", "隐私政策").
    return 0 < len(rest) <= 16 and bool(_WORDY.search(rest)) and not rest[-1].isdigit()


def _sentence_ends(line: str) -> list[int]:
    """Offsets (relative to ``line``) just after each sentence end."""
    ends: list[int] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        cut = False
        if ch in _TERMINALS or (ch == "…" and i + 1 < n and line[i + 1] not in "…"):
            cut = True
        elif ch in "；;" and _LIST_AFTER_SEMI.match(line, i + 1):
            cut = True
        elif ch == "." and i > 0 and "\u4e00" <= line[i - 1] <= "\u9fff" and not line[i + 1 : i + 2].isdigit():
            cut = True
        i += 1
        if cut:
            while i < n and (line[i] in _TERMINALS or line[i] in _CLOSERS or line[i] == "…"):
                i += 1
            ends.append(i)
    if not ends or ends[-1] != n:
        ends.append(n)
    return ends


def _split_long(line: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split the span [start, end) of ``line`` so that no piece is unreasonably long."""
    if end - start <= LONG:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    s = start
    for i in range(start, end):
        if line[i] in "；;" and i + 1 - s >= 20 and end - (i + 1) >= 10:
            pieces.append((s, i + 1))
            s = i + 1
    pieces.append((s, end))
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        while e - s > MAX_LEN:
            window = line[s + MAX_LEN // 3 : s + MAX_LEN]
            cut = max(window.rfind(c) for c in "，,、：:")
            cut = s + MAX_LEN // 3 + cut + 1 if cut >= 0 else s + MAX_LEN
            out.append((s, cut))
            s = cut
        out.append((s, e))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s] in _SPACE or text[s].isspace()):
        s += 1
    while e > s and (text[e - 1] in _SPACE or text[e - 1].isspace()):
        e -= 1
    return s, e


def segment(text: str) -> list[Clause]:
    """Split ``text`` into clauses in text order. Never raises for any ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"segment() expects str, got {type(text).__name__}")
    clauses: list[Clause] = []
    stack: list[tuple[int, str]] = []  # (rank, heading text)
    first = True
    for m in _LINE.finditer(text):
        ls, le = _trim(text, m.start(), m.end())
        if ls >= le:
            continue
        line = text[ls:le]
        style, marker = _marker(line)
        if _is_heading(line, style, marker):
            if first and not style:
                # the document title: a heading, but not a parent of every clause
                clauses.append(Clause(ls, le, line, (), True, ""))
                first = False
                continue
            rank = -10 + len(marker.strip()) if style == "markdown" else _RANK[style or "plain"]
            while stack and stack[-1][0] >= rank:
                stack.pop()
            clauses.append(Clause(ls, le, line, tuple(h for _, h in stack), True, marker.strip(_SPACE)))
            stack.append((rank, line))
            first = False
            continue
        first = False
        path = tuple(h for _, h in stack)
        prev_end = 0
        number = marker.strip(_SPACE)
        for end in _sentence_ends(line):
            for s, e in _split_long(line, prev_end, end):
                cs, ce = _trim(text, ls + s, ls + e)
                if cs >= ce:
                    continue
                if clauses and not _WORDY.search(text[cs:ce]) and clauses[-1].end >= ls:
                    # a stray run of punctuation belongs to the sentence before it on the same line
                    last = clauses.pop()
                    clauses.append(Clause(last.start, ce, text[last.start : ce], last.heading_path,
                                          last.is_heading, last.number))
                    continue
                clauses.append(Clause(cs, ce, text[cs:ce], path, False, number))
                number = ""
            prev_end = end
    return clauses
