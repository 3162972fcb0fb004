from __future__ import annotations

import json

import pytest

from analyzer.data import SPLITS, load_agreements, load_clauses
from analyzer.data.check import check, near_duplicates
from analyzer.data.corpus import assign_splits, build_records, datasets_dir
from analyzer.data.raw import LABEL_IDS, SECTORS, RawFormatError, parse
from analyzer.segment import segment


def test_corpus_check_passes():
    errors = check()
    assert errors == [], "\n".join(errors[:20])


def test_corpus_meets_its_minimums():
    docs = load_agreements()
    clauses = load_clauses()
    assert len(docs) >= 120
    assert {d["sector"] for d in docs} == set(SECTORS)
    assert len(clauses) >= 5000
    for label in LABEL_IDS:
        assert sum(label in c["labels"] for c in clauses) >= 250, label
    assert sum(len(c["labels"]) > 1 for c in clauses) >= 60
    assert sum(d["script"] == "traditional" for d in docs) >= 0.10 * len(docs)
    fair = [c for c in clauses if not c["labels"]]
    assert sum(c["hard_negative"] for c in fair) >= 500


def test_splits_are_by_document_and_cover_every_sector():
    seen: dict[str, str] = {}
    for split in SPLITS:
        docs = load_agreements(split)
        assert {d["sector"] for d in docs} == set(SECTORS), split
        for d in docs:
            assert d["id"] not in seen, f"{d['id']} is in {seen.get(d['id'])} and {split}"
            seen[d["id"]] = split
    for split in SPLITS:
        assert {c["doc_id"] for c in load_clauses(split)} <= {i for i, s in seen.items() if s == split}
    n = len(seen)
    assert 0.6 * n <= sum(s == "train" for s in seen.values()) <= 0.8 * n


def test_clauses_agree_with_the_segmenter_and_carry_their_line_labels():
    doc = load_agreements("dev")[0]
    clauses = load_clauses("dev")
    mine = [c for c in clauses if c["doc_id"] == doc["id"]]
    expected = [c for c in segment(doc["text"]) if not c.is_heading]
    assert [(c["start"], c["end"]) for c in mine] == [(c.start, c.end) for c in expected]
    for c in mine:
        assert doc["text"][c["start"] : c["end"]] == c["text"]
        line = next(s for s in doc["spans"] if s["start"] <= c["start"] and c["end"] <= s["end"])
        assert c["labels"] == line["labels"]
        assert {"text", "labels", "doc_id", "sector"} <= set(c)


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError):
        load_agreements("validation")


def test_split_assignment_is_stable_when_the_corpus_grows():
    docs = [{"id": f"{s}-{i:02d}", "sector": s} for s in SECTORS for i in range(1, 11)]
    first = assign_splits(docs, {})
    grown = assign_splits(docs + [{"id": f"{s}-{i:02d}", "sector": s} for s in SECTORS for i in range(11, 15)], first)
    assert all(grown[k] == v for k, v in first.items())
    counts = {s: sum(v == s for v in first.values()) for s in SPLITS}
    assert counts == {"train": 98, "dev": 21, "test": 21}


def test_committed_splits_file_matches_records():
    splits = json.loads((datasets_dir() / "splits.json").read_text(encoding="utf-8"))
    assert {r["id"]: r["split"] for r in build_records()} == splits


def test_near_duplicates_catch_rewording_but_not_different_clauses():
    a = [{"text": "会员服务一经开通，任何情况下均不予退还费用。", "doc_id": "a"}]
    b = [
        {"text": "会员服务一经开通，任何情况下均不予退还会员费用。", "doc_id": "b"},
        {"text": "您可以随时在设置页面中一键取消自动续费服务。", "doc_id": "c"},
    ]
    hits = near_duplicates(a, b)
    assert [(q["doc_id"], p["doc_id"]) for q, p, _ in hits] == [("a", "b")]


def test_raw_format_errors_are_reported_with_lines():
    good = "---\nid: x-01\nsector: games\ntitle: t\ndoc_type: 用户协议\nscript: simplified\n---\n标题\n不退款。 {{no_refund}}\n"
    doc = parse(good)
    assert doc.text == "标题\n不退款。"
    assert [(u.labels, doc.text[u.start : u.end]) for u in doc.units] == [([], "标题"), (["no_refund"], "不退款。")]
    with pytest.raises(RawFormatError, match="unknown label"):
        parse(good.replace("no_refund", "no_refunds"))
    with pytest.raises(RawFormatError, match="hard negative|'hn'"):
        parse(good.replace("no_refund", "hn,no_refund"))
    with pytest.raises(RawFormatError, match="sector"):
        parse(good.replace("games", "casino"))
    with pytest.raises(RawFormatError, match="front-matter"):
        parse("no front matter")


def test_check_set_is_separate_from_the_corpus_and_guarded_against_leakage(tmp_path):
    check_docs = load_agreements("check")
    assert len(check_docs) >= 14 and {d["split"] for d in check_docs} == {"check"}
    assert {d["sector"] for d in check_docs} == set(SECTORS)
    corpus_ids = {d["id"] for d in load_agreements()}
    assert not corpus_ids & {d["id"] for d in check_docs}
    # a corpus clause copied into a check agreement is caught by `python -m analyzer.data check`
    import shutil

    root = tmp_path / "datasets"
    shutil.copytree(datasets_dir(), root, ignore=shutil.ignore_patterns("pending", "review"))
    train_clause = next(c for c in load_clauses("train") if len(c["text"]) > 30)
    target = root / "check" / "games" / "games-c01.txt"
    target.write_text(target.read_text(encoding="utf-8") + train_clause["text"] + "\n", encoding="utf-8")
    errors = check(root)
    assert any(e.startswith("check/train near-duplicate") and "games-c01" in e for e in errors), errors


def test_blind_annotation_matches_the_segmenter_clause_for_clause(tmp_path, monkeypatch):
    from analyzer.data import corpus
    from analyzer.data.blind import blind_path, load_blind

    for split in ("dev", "test"):
        clauses, labels = load_blind(split)
        assert len(clauses) == len(labels) == len(load_clauses(split))
        assert all(set(labs) <= set(LABEL_IDS) for labs in labels)
    # a row whose clause the segmenter no longer gives is an error, not a silent misalignment
    root = tmp_path / "datasets"
    (root / "review" / "blind").mkdir(parents=True)
    (root / "agreements.jsonl").write_text((datasets_dir() / "agreements.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    lines = blind_path("dev").read_text(encoding="utf-8").splitlines()
    doc, start, end, *rest = lines[1].split("\t")
    lines[1] = "\t".join([doc, start, str(int(end) + 1), *rest])
    (root / "review" / "blind" / "dev.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus, "datasets_dir", lambda: root)
    monkeypatch.setattr("analyzer.data.blind.datasets_dir", lambda: root)
    with pytest.raises(ValueError, match="does not match the segmenter"):
        load_blind("dev")


def test_pending_waves_load_as_their_own_split_never_as_training():
    from analyzer.data import load_agreements
    from analyzer.data.corpus import pending_records

    records = pending_records("wave4")
    corpus = {r["id"] for r in load_agreements()}
    assert records and all(r["split"] == "pending:wave4" for r in records)
    assert not corpus & {r["id"] for r in records}
    with pytest.raises(FileNotFoundError, match="no agreements"):
        pending_records("no-such-wave")


def test_twins_attach_to_train_sources_and_refuse_any_other(tmp_path):
    from analyzer.data import load_clauses
    from analyzer.data.twins import twin_clauses

    train, dev = load_clauses("train"), load_clauses("dev")
    unfair = next(c for c in train if c["labels"])
    fair = next(c for c in train if c["hard_negative"] and c["doc_id"] != unfair["doc_id"])
    ok = tmp_path / "ok.tsv"
    ok.write_text("src_id\tlabels\ttext\n"
                  f"{unfair['doc_id']}:{unfair['start']}\tfair\t因本平台原因无法提供服务的，按剩余天数退还费用。\n"
                  f"{fair['doc_id']}:{fair['start']}\tno_refund,auto_renewal\t扣费后一律不退。\n", encoding="utf-8")
    twins = twin_clauses(ok, train)
    assert [t["labels"] for t in twins] == [[], ["no_refund", "auto_renewal"]]
    assert [t["hard_negative"] for t in twins] == [True, False]
    assert twins[0]["heading"] == unfair["heading"] and twins[0]["split"] == "train"
    # a draw of agreements without the source's agreement leaves its twin out
    assert twin_clauses(ok, [c for c in train if c["doc_id"] != unfair["doc_id"]])[0]["twin_of"] == f"{fair['doc_id']}:{fair['start']}"
    leak = tmp_path / "leak.tsv"
    leak.write_text(f"src_id\tlabels\ttext\n{dev[0]['doc_id']}:{dev[0]['start']}\tfair\t任意文本。\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a clause of the train split"):
        twin_clauses(leak, train)
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"src_id\tlabels\ttext\n{unfair['doc_id']}:{unfair['start']}\tunfairish\t文本。\n", encoding="utf-8")
    with pytest.raises(ValueError, match="labels must be"):
        twin_clauses(bad, train)


def test_contrast_and_twin_files_load_against_their_splits():
    """Both twin files name existing clauses of their own split, so a corpus change that moves them fails here."""
    from analyzer.data import datasets_dir, load_clauses
    from analyzer.data.twins import read_twins, twin_clauses

    dev_file = datasets_dir() / "review" / "contrast" / "dev.tsv"
    dev = twin_clauses(dev_file, load_clauses("dev"), "dev")
    assert len(dev) == len(read_twins(dev_file)) and all(t["split"] == "dev" for t in dev)
    with pytest.raises(ValueError, match="not a clause of the train split"):
        twin_clauses(dev_file, load_clauses("train"))
    train_dir = datasets_dir() / "pending" / "twins"
    assert len(twin_clauses(train_dir, load_clauses("train"))) == len(read_twins(train_dir))
