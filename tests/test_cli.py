"""tos-audit: readers in a batch, bad files, exit codes, resume, determinism, formats, diff."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.batch import audit_paths, expand_inputs, load
from analyzer.cli import main
from analyzer.engine import Analyzer
from tests.helpers import encrypt_pdf, make_docx, make_pdf

UNFAIR = "会员服务协议\n一、退款\n1.1 会员服务一经开通，概不退款。\n1.2 本平台保留对本协议的最终解释权。\n"
MILD = "会员服务协议\n一、变更\n1.1 我们可根据运营需要调整会员价格，恕不另行通知。\n"
FAIR = "会员服务协议\n一、总则\n1.1 本协议适用于全体会员。\n1.2 争议协商不成的，任何一方可向有管辖权的人民法院起诉。\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "terms"
    (d / "sub").mkdir(parents=True)
    (d / "a_unfair.txt").write_text(UNFAIR, encoding="utf-8")
    (d / "b_fair.md").write_text(FAIR, encoding="utf-8")
    (d / "sub" / "c_gbk.txt").write_bytes(UNFAIR.encode("gbk"))
    (d / "sub" / "d_big5.txt").write_bytes("本公司保留對本協議的最終解釋權。".encode("big5"))
    (d / "sub" / "e.html").write_text(f"<html><body><script>x()</script><p>{MILD}</p></body></html>", encoding="utf-8")
    (d / "sub" / "f.docx").write_bytes(make_docx(UNFAIR.split("\n")))
    (d / "sub" / "g.pdf").write_bytes(make_pdf("本平台保留对本协议的最终解释权。"))
    # the bad ones
    (d / "bad_empty.txt").write_bytes(b"")
    (d / "bad_binary.txt").write_bytes(bytes(range(256)) * 50 + b"\x00" * 5000)
    (d / "bad_truncated.docx").write_bytes(make_docx(["条款"])[:200])
    (d / "bad_encrypted.pdf").write_bytes(encrypt_pdf(make_pdf("条款")))
    (d / "bad_image.pdf").write_bytes(make_pdf(None))
    (d / "ignored.exe").write_bytes(b"MZ")
    return d


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_expand_inputs_files_dirs_globs(corpus):
    paths, missing = expand_inputs([str(corpus), str(corpus / "*.txt"), str(corpus / "nope*.txt"), "missing.txt"])
    assert missing == [str(corpus / "nope*.txt"), "missing.txt"]
    assert paths == sorted(paths) and len(paths) == len(set(paths))
    assert not any(p.endswith(".exe") for p in paths)
    assert any(p.endswith("g.pdf") for p in paths)


def test_batch_reads_every_format_and_records_bad_files(corpus, capsys, tmp_path):
    out = tmp_path / "out.jsonl"
    code, _, err = run([str(corpus), "--analyzer", "rules", "-o", str(out)], capsys)
    assert code == 0
    recs = {Path(r["path"]).name: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(recs) == {"a_unfair.txt", "b_fair.md", "c_gbk.txt", "d_big5.txt", "e.html", "f.docx", "g.pdf",
                         "bad_empty.txt", "bad_binary.txt", "bad_truncated.docx", "bad_encrypted.pdf", "bad_image.pdf"}
    for name in ("a_unfair.txt", "c_gbk.txt", "f.docx"):
        assert {tuple(f["labels"]) for f in recs[name]["findings"]} == {("no_refund",), ("final_interpretation",)}
        assert recs[name]["error"] is None and len(recs[name]["sha256"]) == 64 and recs[name]["clause_count"] == 4
    assert recs["d_big5.txt"]["findings"][0]["labels"] == ["final_interpretation"]
    assert recs["g.pdf"]["findings"][0]["labels"] == ["final_interpretation"]
    assert recs["e.html"]["findings"][0]["labels"] == ["unilateral_change"]
    assert recs["b_fair.md"]["findings"] == [] and recs["b_fair.md"]["grade"] == "A"
    assert "empty" in recs["bad_empty.txt"]["error"]
    assert "binary" in recs["bad_binary.txt"]["error"]
    assert "zip" in recs["bad_truncated.docx"]["error"]
    assert "encrypted" in recs["bad_encrypted.pdf"]["error"]
    assert "text layer" in recs["bad_image.pdf"]["error"]
    assert "失败 5" in err  # the summary table on stderr


def test_vanished_and_unreadable_files_become_error_records(tmp_path, monkeypatch):
    ok = tmp_path / "ok.txt"
    ok.write_text(UNFAIR, encoding="utf-8")
    gone = tmp_path / "gone.txt"
    locked = tmp_path / "locked.txt"
    locked.write_text(UNFAIR, encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    recs = [r for r, _ in audit_paths(Analyzer(engine="rules"), [str(gone), str(locked), str(ok)])]
    assert "does not exist" in recs[0]["error"] and "permission denied" in recs[1]["error"]
    assert recs[2]["error"] is None and recs[2]["findings"]
    assert load(str(gone)).error


def test_exit_codes(corpus, capsys, tmp_path):
    fair, mild, unfair = (tmp_path / n for n in ("fair.txt", "mild.txt", "unfair.txt"))
    fair.write_text(FAIR, encoding="utf-8")
    mild.write_text(MILD, encoding="utf-8")
    unfair.write_text(UNFAIR, encoding="utf-8")
    r = ["--analyzer", "rules", "--quiet"]
    assert run([str(fair), "--fail-on", "中", *r], capsys)[0] == 0
    assert run([str(mild), "--fail-on", "高", *r], capsys)[0] == 0  # only a 中 finding
    assert run([str(mild), "--fail-on", "中", *r], capsys)[0] == 1
    assert run([str(unfair), "--fail-on", "高", *r], capsys)[0] == 1
    assert run([str(corpus / "bad_empty.txt"), *r], capsys)[0] == 2  # nothing readable
    assert run([str(tmp_path / "missing.txt"), *r], capsys)[0] == 2
    assert run(["--format", "nope", str(fair)], capsys)[0] == 2
    assert run([str(fair), "--format", "html", *r], capsys)[0] == 2  # html needs -o DIR
    assert run([], capsys)[0] == 2


def test_resume_skips_inputs_recorded_by_sha256(corpus, capsys, tmp_path):
    out = tmp_path / "out.jsonl"
    assert run([str(corpus), "--analyzer", "rules", "--quiet", "-o", str(out)], capsys)[0] == 0
    first = out.read_text(encoding="utf-8").splitlines()
    # mark a previous record: resume must keep it instead of analysing the file again
    recs = [json.loads(x) for x in first]
    target = next(r for r in recs if r["path"].endswith("a_unfair.txt"))
    target["grade"] = "MARK"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    (corpus / "new.txt").write_text(MILD, encoding="utf-8")
    assert run([str(corpus), "--analyzer", "rules", "--quiet", "--resume", "-o", str(out)], capsys)[0] == 0
    again = {json.loads(x)["path"]: json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()}
    assert again[target["path"]]["grade"] == "MARK"
    assert again[str(corpus / "new.txt")]["findings"]
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_output_is_identical_across_runs_and_jobs(corpus, tmp_path):
    outs = []
    for jobs in (1, 1, 2):
        out = tmp_path / f"out{len(outs)}.jsonl"
        subprocess.run([sys.executable, "-m", "analyzer", str(corpus), "--analyzer", "rules", "--quiet",
                        "--jobs", str(jobs), "-o", str(out)], check=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]


def test_formats(corpus, capsys, tmp_path):
    r = [str(corpus / "a_unfair.txt"), str(corpus / "bad_empty.txt"), "--analyzer", "rules", "--quiet"]
    code, out, _ = run([*r, "--format", "json"], capsys)
    assert code == 0 and len(json.loads(out)["files"]) == 2
    code, out, _ = run([*r, "--format", "csv"], capsys)
    assert out.splitlines()[0].startswith("document,") and "概不退款" in out and "empty" in out
    code, out, _ = run([*r, "--format", "md"], capsys)
    assert "排除退款" in out and "读取或分析失败" in out
    site = tmp_path / "site"
    assert run([*r, "--format", "html", "-o", str(site)], capsys)[0] == 0
    index = (site / "index.html").read_text(encoding="utf-8")
    pages = list((site / "docs").glob("*.html"))
    assert len(pages) == 1 and pages[0].name in index and "错误" in index
    assert "<mark" in pages[0].read_text(encoding="utf-8")


def test_diff_matches_by_content_not_position(tmp_path, capsys):
    old = tmp_path / "v1.txt"
    new = tmp_path / "v2.txt"
    old.write_text("1. 会员服务一经开通，概不退款。\n2. 本平台保留对本协议的最终解释权。\n3. 本协议适用于会员。\n4. 我们可根据运营需要调整会员价格，恕不另行通知。\n",
                   encoding="utf-8")
    # renumbered and reordered; one unfair clause removed, one added, one reworded slightly
    new.write_text("一、本协议适用于会员。\n二、本平台保留对本协议的最终解释权。\n三、会员服务一经开通，概不退款！\n四、账号被封禁后，剩余会员时长一律不予退还。\n",
                   encoding="utf-8")
    code, out, _ = run(["diff", str(old), str(new), "--analyzer", "rules", "--format", "json"], capsys)
    assert code == 0
    res = json.loads(out)
    assert res["summary"]["kept"] == 2 and res["summary"]["removed"] == 1 and res["summary"]["added"] == 1
    assert "调整会员价格" in res["removed"][0]["text"]
    assert "剩余会员时长" in res["added"][0]["text"]
    code, out, _ = run(["diff", str(old), str(new), "--analyzer", "rules"], capsys)
    assert out.count("\n+ ") == 1 and out.count("\n- ") == 1 and out.count("\n= ") == 2
    assert run(["diff", str(old), str(tmp_path / "nope.txt"), "--analyzer", "rules"], capsys)[0] == 2


def test_ray_engine_writes_the_same_jsonl_as_the_local_engine(corpus, tmp_path):
    pytest.importorskip("ray", reason="the distributed extra is not installed (pip install '.[distributed]')")
    outs = {}
    for name, extra in (("local", []), ("ray", ["--engine", "ray", "--jobs", "2"])):
        out = tmp_path / f"{name}.jsonl"
        subprocess.run([sys.executable, "-m", "analyzer", str(corpus), "--quiet", "--no-explain", "-o", str(out), *extra],
                       check=True, timeout=600)
        outs[name] = out.read_bytes()
    assert outs["ray"] == outs["local"]
    recs = [json.loads(x) for x in outs["ray"].decode("utf-8").splitlines()]
    assert len(recs) == 12 and sum(1 for r in recs if r["error"]) == 5


def test_word_evidence_by_the_explainer_by_occlusion_or_none(tmp_path, capsys):
    """--occlusion and --no-explain reach the worker: the same findings, evidence measured, or none."""
    d = tmp_path / "terms"
    d.mkdir()
    text = "运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。"
    (d / "a.txt").write_text(text, encoding="utf-8")
    evidence = {}
    for flag in ("", "--occlusion", "--no-explain"):
        out = tmp_path / f"out{flag}.jsonl"
        assert main([str(d), "--quiet", "-o", str(out), *([flag] if flag else [])]) in (0, 1)
        (rec,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        evidence[flag] = [[e["cue"] for e in f["evidence"] if e["source"] == "model"] for f in rec["findings"]]
    for flag, how in (("", True), ("--occlusion", "occlusion")):
        api = [[e.cue for e in f.evidence if e.source == "model"] for f in Analyzer(explain=how).analyze(text).findings]
        assert evidence[flag] == api and api and all(api)
    assert evidence["--no-explain"] == [[]]
