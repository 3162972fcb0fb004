"""The law catalog: verbatim articles, and which of them apply to each label.

Data lives in ``articles.yaml`` (generated from the verified reference texts) and
``label_laws.yaml`` (the project's mapping, with a plain-Chinese reason per article).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

import yaml

# Civil validity first, then rights and reading rules, then what regulators prohibit:
# a reader must see whether a clause is void before seeing that it is also fined.
KIND_ORDER = ("civil_void", "judicial", "civil_notice", "statutory", "interpretation", "administrative")
KIND_ZH = {
    "civil_void": "民事无效",
    "judicial": "司法解释",
    "civil_notice": "未尽提示义务可不成为合同内容",
    "statutory": "法定权利义务",
    "interpretation": "格式条款解释规则",
    "administrative": "行政监管禁止（不认定民事效力）",
}


@dataclass(frozen=True)
class Article:
    id: str
    law: str
    short: str
    article: str
    number: int
    kind: str
    text: str
    note: str
    source: str


@dataclass(frozen=True)
class Citation:
    """An article as it applies to one label: the verbatim text plus why it applies."""

    article_id: str
    label: str
    law: str
    short: str
    article: str
    item: str
    paragraph: tuple[int, ...]
    kind: str
    kind_zh: str
    text: str
    reason: str
    note: str

    @property
    def cite(self) -> str:
        """《民法典》第四百九十七条（三） — how a lawyer would write the reference."""
        para = "、".join(f"第{_CN_DIGITS[p]}款" for p in self.paragraph)
        return f"《{self.short}》{self.article}{para}{self.item}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["paragraph"] = list(self.paragraph)
        d["cite"] = self.cite
        return d


_CN_DIGITS = dict(enumerate("零一二三四五六七八九十", start=0))


def _read(name: str):
    return yaml.safe_load(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def catalog() -> dict[str, Article]:
    """Every article of the catalog by id (e.g. ``civil_code.497``)."""
    return {a["id"]: Article(**a) for a in _read("articles.yaml")}


@lru_cache(maxsize=1)
def label_citations() -> dict[str, tuple[Citation, ...]]:
    """For each label id, its citations in display order."""
    arts = catalog()
    out: dict[str, tuple[Citation, ...]] = {}
    for label, entries in _read("label_laws.yaml").items():
        cites = []
        for e in entries:
            a = arts[e["article"]]
            para = e.get("paragraph") or ()
            # A paragraph can have another character than its article (消法第二十六条第一款 is a
            # notice duty, its third paragraph the voidness rule), so an entry may set its own kind.
            kind = e.get("kind", a.kind)
            cites.append(
                Citation(
                    article_id=a.id,
                    label=label,
                    law=a.law,
                    short=a.short,
                    article=a.article,
                    item=e.get("item", ""),
                    paragraph=tuple(para) if isinstance(para, list) else ((para,) if para else ()),
                    kind=kind,
                    kind_zh=KIND_ZH[kind],
                    text=a.text,
                    reason=e["reason"],
                    note=a.note,
                )
            )
        out[label] = tuple(cites)
    return out


def citations_for(labels: Iterable[str]) -> list[Citation]:
    """The citations for a finding with these labels: civil validity first, each article once per label."""
    table = label_citations()
    cites = [c for label in labels for c in table.get(label, ())]
    return sorted(cites, key=lambda c: KIND_ORDER.index(c.kind))
