"""Rebuild ``articles.yaml`` from the verified law texts kept beside the repository.

``python -m analyzer.laws.build ../shared/laws/verified_articles.md`` parses the reference
file and writes the catalog. The texts are copied, never retyped, so the catalog cannot
drift from the verified source; ``tests/test_laws.py`` re-checks that character for character.
What the reference file does not say (ids, short names, kinds, notes) lives in ``LAWS`` below.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

# law key -> (title prefix in the reference file, id prefix, full name, short name, status note).
# Kinds: civil_void = the clause is void in civil law; civil_notice = without proper notice the clause
# is not part of the contract; judicial = Supreme People's Court interpretation; statutory = a rule
# that grants the right or sets the duty the clause takes away; interpretation = how a clause is
# read; administrative = a regulator prohibits and fines it (says nothing about civil validity).
LAWS = [
    ("中华人民共和国民法典", "civil_code", "中华人民共和国民法典", "民法典", ""),
    ("中华人民共和国消费者权益保护法实施条例", "cpl_reg", "中华人民共和国消费者权益保护法实施条例（国务院令第778号）", "消保法实施条例", ""),
    ("中华人民共和国消费者权益保护法", "cpl", "中华人民共和国消费者权益保护法（2013修正）", "消费者权益保护法", ""),
    ("中华人民共和国电子商务法", "ecl", "中华人民共和国电子商务法", "电子商务法", ""),
    ("中华人民共和国个人信息保护法", "pipl", "中华人民共和国个人信息保护法", "个人信息保护法", ""),
    ("侵害消费者权益行为处罚办法", "penalty_measures", "侵害消费者权益行为处罚办法（2015）", "侵害消费者权益行为处罚办法",
     "现行有效性未经核实；同一情形优先引用《合同行政监督管理办法》第八条。"),
    ("最高人民法院关于适用《中华人民共和国民事诉讼法》的解释", "civpro_interp",
     "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释（2022修正）", "民诉法解释", ""),
    ("最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）", "online_consumption_interp",
     "最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）（法释〔2022〕8号）", "网络消费纠纷规定（一）", ""),
    ("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", "prepaid_interp",
     "最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释（法释〔2025〕4号）", "预付式消费解释", ""),
    ("最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释", "contract_interp",
     "最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释（法释〔2023〕13号）", "合同编通则解释", ""),
    ("网络数据安全管理条例", "data_reg", "网络数据安全管理条例（国务院令第790号）", "网络数据安全管理条例", ""),
    ("合同行政监督管理办法", "contract_admin", "合同行政监督管理办法（市场监管总局令第77号）", "合同行政监督管理办法",
     "本条文为2023年公布的原文本；该办法已于2025年3月18日修正（市场监管总局令第101号），以现行有效文本为准。"
     "市场监督管理部门依本办法监管，不对合同的民事法律效力作出认定（第二十二条）。"),
    ("网络交易监督管理办法", "online_trade", "网络交易监督管理办法（市场监管总局令第37号）", "网络交易监督管理办法",
     "本条文为2021年公布的原文本；该办法已于2025年3月18日修正（市场监管总局令第101号），以现行有效文本为准。"),
]

KIND = {
    "civil_code.496": "civil_notice",
    "civil_code.497": "civil_void",
    "civil_code.498": "interpretation",
    "civil_code.506": "civil_void",
    "cpl.26": "civil_void",
    "ecl.49": "civil_void",
    "online_consumption_interp.1": "judicial",
    "prepaid_interp.9": "judicial",
    "civpro_interp.31": "judicial",
    "contract_interp.9": "judicial",
    "contract_interp.10": "judicial",
    "contract_interp.65": "judicial",
    "penalty_measures.12": "administrative",
    "contract_admin.6": "administrative",
    "contract_admin.7": "administrative",
    "contract_admin.8": "administrative",
    "contract_admin.9": "administrative",
    "contract_admin.22": "administrative",
    "online_trade.17": "administrative",
    "online_trade.18": "administrative",
    "online_trade.21": "administrative",
    "cpl_reg.10": "administrative",
    "cpl_reg.11": "administrative",
    "cpl_reg.17": "administrative",
    "cpl_reg.19": "administrative",
    "cpl_reg.20": "administrative",
    "cpl_reg.22": "administrative",
    "cpl_reg.23": "administrative",
    "cpl_reg.24": "administrative",
    "cpl_reg.9": "administrative",
    "cpl_reg.50": "administrative",
    "data_reg.23": "administrative",
    "data_reg.24": "administrative",
}
# Notes that belong to one article rather than to the whole law.
ARTICLE_NOTES = {
    "online_trade.18": "有资料显示修正后文本为“……等日期前，以显著方式提请消费者注意”，未见“五日”，尚未核实；"
    "本工具不以“五日”作为判断标准。",
    "civil_code.1035": "本条为处理个人信息的一般规则。",
    "civil_code.585": "本条未规定“百分之三十”的标准；该标准见合同编通则解释第六十五条第二款。",
}

_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(s: str) -> int:
    """第一千零三十五条 -> 1035 (the numerals used in article numbers)."""
    total, section, digit = 0, 0, 0
    for ch in s:
        if ch in _CN:
            digit = _CN[ch]
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            section += (digit or 1) * unit
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
    return total + section + digit


_ARTICLE = re.compile(r"^(第([零〇一二三四五六七八九十百千]+)条)\s")


def parse_reference(md: str) -> list[dict]:
    """Every article of the reference file, with its verbatim text."""
    sections = re.split(r"^## ", md, flags=re.M)[1:]
    articles: list[dict] = []
    for sec in sections:
        title, _, body = sec.partition("\n")
        law = next((entry for entry in LAWS if title.startswith(entry[0])), None)
        if law is None:
            raise ValueError(f"unknown law in reference section: {title!r}")
        prefix, key, full, short, law_note = law
        source = ""
        paragraphs: list[str] = []
        for line in body.split("\n"):
            if line.startswith("source:"):
                source = line[len("source:") :].strip()
            elif line.startswith("[FLAG"):
                continue
            elif _ARTICLE.match(line):
                paragraphs.append(line)
            elif line.strip() and paragraphs:
                paragraphs[-1] += "\n" + line
        for text in paragraphs:
            m = _ARTICLE.match(text)
            number = cn_to_int(m.group(2))
            aid = f"{key}.{number}"
            note = " ".join(n for n in (law_note, ARTICLE_NOTES.get(aid, "")) if n)
            articles.append(
                {
                    "id": aid,
                    "law": full,
                    "short": short,
                    "article": m.group(1),
                    "number": number,
                    "kind": KIND.get(aid, "statutory"),
                    "text": text.rstrip(),
                    "note": note,
                    "source": source,
                }
            )
    return articles


class _BlockDumper(yaml.SafeDumper):
    """Multi-paragraph article texts as literal blocks, so the catalog reads like the statute."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else Path(__file__).resolve().parents[3] / "shared/laws/verified_articles.md"
    articles = parse_reference(src.read_text(encoding="utf-8"))
    out = Path(__file__).with_name("articles.yaml")
    header = (
        "# Generated by `python -m analyzer.laws.build` from shared/laws/verified_articles.md.\n"
        "# Do not edit the texts by hand: tests compare them with the reference character for character.\n"
    )
    out.write_text(header + yaml.dump(articles, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000),
                   encoding="utf-8")
    print(f"wrote {len(articles)} articles to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
