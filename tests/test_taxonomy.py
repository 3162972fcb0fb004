import re

import pytest

from analyzer.taxonomy import LABEL_IDS, labels


def test_label_ids_match_the_shared_taxonomy(shared_dir):
    path = shared_dir / "taxonomy.md"
    if not path.exists():
        pytest.skip(f"{path} not found (../shared lives beside the repository)")
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", path.read_text(encoding="utf-8"), re.M)
    assert [r[0] for r in rows] == list(LABEL_IDS)
    assert [r[1].strip() for r in rows] == [labels()[i].name for i in LABEL_IDS]


def test_labels_are_complete():
    assert len(LABEL_IDS) == 9
    for lab in labels().values():
        assert re.fullmatch(r"#[0-9a-f]{6}", lab.colour)
        assert lab.severity in ("高", "中")
        assert lab.explanation and lab.suggestion and lab.description
