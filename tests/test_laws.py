from __future__ import annotations

import re

import pytest

from analyzer.laws import KIND_ORDER, catalog, citations_for, label_citations
from analyzer.laws.build import cn_to_int, parse_reference
from analyzer.taxonomy import LABEL_IDS


@pytest.fixture(scope="module")
def reference(shared_dir):
    path = shared_dir / "laws" / "verified_articles.md"
    if not path.exists():
        pytest.skip(f"reference law texts not found at {path} (they live in ../shared beside the repository)")
    return {a["id"]: a for a in parse_reference(path.read_text(encoding="utf-8"))}




def test_every_catalog_text_is_verbatim_in_the_reference(shared_dir):
    path = shared_dir / "laws" / "verified_articles.md"
    if not path.exists():
        pytest.skip(f"reference law texts not found at {path} (they live in ../shared beside the repository)")
    md = path.read_text(encoding="utf-8")
    for art in catalog().values():
        assert art.text in md, f"{art.id} differs from the reference text"
        # character for character: the text is a whole block, not a prefix of a longer one
        idx = md.index(art.text)
        after = md[idx + len(art.text) : idx + len(art.text) + 1]
        assert after in ("", "\n"), f"{art.id} stops short of the reference text"


def test_catalog_matches_a_fresh_parse(reference):
    assert set(catalog()) == set(reference)
    for aid, art in catalog().items():
        assert art.text == reference[aid]["text"], aid


def test_chinese_numerals():
    assert cn_to_int("四百九十七") == 497
    assert cn_to_int("一千零三十五") == 1035
    assert cn_to_int("十") == 10
    assert cn_to_int("二十六") == 26
    assert cn_to_int("五百零六") == 506


def test_every_label_has_citations_and_they_resolve():
    table = label_citations()
    assert set(table) == set(LABEL_IDS)
    for label, cites in table.items():
        assert cites, label
        for c in cites:
            assert c.article_id in catalog()
            assert c.reason.strip()
            if c.item:
                for item in re.findall(r"（[一二三四五六七八九十]+）", c.item):
                    assert item in c.text, f"{label}: {c.article_id} has no item {item}"


def test_status_notes_are_respected():
    table = label_citations()
    ids = {label: [c.article_id for c in cites] for label, cites in table.items()}
    # auto-renewal is 实施条例 第十条, never 第九条
    assert "cpl_reg.10" in ids["auto_renewal"] and "cpl_reg.9" not in ids["auto_renewal"]
    fi = {(c.article_id, c.item) for c in table["final_interpretation"]}
    assert ("contract_admin.8", "（七）") in fi and ("online_consumption_interp.1", "（三）") in fi
    assert not any(c.article_id == "contract_admin.7" for c in table["final_interpretation"])
    # 互联网平台价格行为规则 is not verified: never cited
    assert not any("价格行为规则" in a.law for a in catalog().values())
    # the 30% guide is the SPC interpretation, not 民法典 585
    assert "contract_interp.65" in ids["excessive_penalty"]
    # amended measures carry the "以现行有效文本为准" note
    for aid in ("online_trade.18", "contract_admin.8", "contract_admin.7"):
        assert "以现行有效文本为准" in catalog()[aid].note
    assert "未经核实" in catalog()["penalty_measures.12"].note


def test_kinds_distinguish_void_from_prohibited():
    arts = catalog()
    assert arts["civil_code.497"].kind == "civil_void"
    assert arts["cpl.26"].kind == "civil_void"
    assert arts["contract_admin.8"].kind == "administrative"
    assert arts["online_trade.21"].kind == "administrative"
    assert arts["civil_code.498"].kind == "interpretation"
    assert arts["online_consumption_interp.1"].kind == "judicial"
    for a in arts.values():
        assert a.kind in KIND_ORDER


def test_citations_put_civil_validity_before_regulators():
    cites = citations_for(["final_interpretation", "no_refund"])
    kinds = [KIND_ORDER.index(c.kind) for c in cites]
    assert kinds == sorted(kinds)
    assert cites[0].kind == "civil_void" and cites[-1].kind == "administrative"


def test_cite_strings():
    c = next(c for c in label_citations()["final_interpretation"] if c.article_id == "contract_admin.8")
    assert c.cite == "《合同行政监督管理办法》第八条（七）"
    c = next(c for c in label_citations()["no_refund"] if c.article_id == "cpl.26")
    assert c.cite == "《消费者权益保护法》第二十六条第三款"


def test_paragraph_kinds_and_multi_paragraph_citations():
    table = label_citations()
    notice = next(c for c in table["auto_renewal"] if c.article_id == "cpl.26")
    assert notice.paragraph == (1,) and notice.kind == "civil_notice"
    void = next(c for c in table["liability_exclusion"] if c.article_id == "cpl.26")
    assert void.cite == "《消费者权益保护法》第二十六条第二款、第三款" and void.kind == "civil_void"
    # every civil_void citation of 消法第二十六条 includes its third paragraph, the one that voids
    for cites in table.values():
        for c in cites:
            if c.article_id == "cpl.26" and c.kind == "civil_void":
                assert 3 in c.paragraph
