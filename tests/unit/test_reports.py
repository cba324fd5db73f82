"""Reports: results files merge into HTML, Markdown and JUnit; the results schema; the op docs."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from tensorparity.harness.cli import main
from tensorparity.harness.reports import html, junit, markdown, pretty
from tensorparity.harness.reports.merge import ResultsFileError, merge_documents, merge_files, results_schema, validate_document
from tensorparity.harness.results import OUTCOMES, Result

OPS = ["--op", "add", "--op", "det", "--op", "sparse_coo_tensor"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two real results files: a numpy run and a torch run on a few ops."""
    folder = tmp_path_factory.mktemp("runs")
    numpy_json, torch_json = folder / "numpy.json", folder / "torch.json"
    assert main(["run", "--backend", "numpy", *OPS, "--no-matrix", "--json", str(numpy_json)]) == 0
    assert main(["run", "--backend", "torch", *OPS, "--no-matrix", "--json", str(torch_json)]) == 0
    return numpy_json, torch_json


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _with(document: dict, index: int, **changes) -> dict:
    """A copy of a results document with one result changed."""
    changed = copy.deepcopy(document)
    changed["results"][index].update(changes)
    return changed


# --- the results schema -------------------------------------------------------
def test_run_json_validates_against_the_schema(runs):
    schema = results_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in runs:
        jsonschema.Draft202012Validator(schema).validate(_load(path))
        validate_document(_load(path))


def test_schema_lists_every_result_field():
    """The schema is in sync with harness/results.py: the same fields, no more, no fewer."""
    result = results_schema()["$defs"]["result"]
    assert set(result["properties"]) == {f.name for f in dataclasses.fields(Result)}
    assert set(result["properties"]["outcome"]["enum"]) == set(OUTCOMES)


def test_schema_rejects_a_bad_outcome(runs):
    document = _with(_load(runs[0]), 0, outcome="sort_of")
    with pytest.raises(ResultsFileError, match=r"results\[0\]\.outcome"):
        validate_document(document)


def test_schema_is_package_data():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert "schemas/*.json" in text


# --- merging --------------------------------------------------------------------
def test_merge_keeps_both_backends_and_versions(runs):
    merged = merge_files(list(runs))
    assert merged.backends == ["numpy", "torch"]
    assert len(merged.results) == len(_load(runs[0])["results"]) + len(_load(runs[1])["results"])
    assert [s.versions["backends"] for s in merged.sources] == [
        _load(runs[0])["versions"]["backends"],
        _load(runs[1])["versions"]["backends"],
    ]


def test_merge_later_file_replaces_the_same_result(runs):
    first = _load(runs[0])
    rerun = _with(first, 3, outcome="mismatch", message="second machine")
    rerun["results"] = rerun["results"][3:4]
    rerun["versions"]["numpy"] = "9.9.9"
    merged = merge_documents([("a.json", first), ("b.json", rerun)])
    assert len(merged.results) == len(first["results"])
    assert merged.results[3].message == "second machine"  # in the earlier one's place
    assert merged.source_of(3).path == "b.json" and merged.source_of(2).path == "a.json"
    assert [(s.count, s.kept) for s in merged.sources] == [(len(first["results"]), len(first["results"]) - 1), (1, 1)]
    assert merged.sources[1].versions["numpy"] == "9.9.9"


# --- the report command -------------------------------------------------------------
def test_report_writes_html_markdown_and_junit(runs, tmp_path, capsys):
    page, md, xml = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.xml"
    args = ["report", *map(str, runs), "--html", str(page), "--markdown", str(md), "--junit", str(xml)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "numpy:" in out and "torch:" in out and f"wrote {page}" in out
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>")
    for backend in ("numpy", "torch"):
        assert f'id="heat-{backend}"' in text
    assert text.count('<table class="heat">') == 2
    assert "<th>add</th>" in text and "<th>sparse_coo_tensor</th>" in text
    # self-contained: no external assets, no scripts
    assert not re.search(r"<script|<link|\bsrc=|@import|url\(", text)
    assert "No failures" in text
    assert "### numpy" in md.read_text() and "| `add` |" in md.read_text()
    ET.parse(xml)


def test_report_exit_status_follows_the_merged_results(runs, tmp_path):
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps(_with(_load(runs[0]), 0, outcome="mismatch", message="off by one")))
    assert main(["report", str(failing)]) == 1
    assert main(["report", str(failing), str(runs[0])]) == 0  # the later file's pass replaces the mismatch


def test_report_bad_file_is_usage_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "results": []}')
    assert main(["report", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.json")]) == 2


def _hostile(runs) -> tuple[dict, str]:
    """A results document whose failures carry markup and control characters."""
    evil = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    document = _load(runs[0])
    document["results"][0].update(outcome="mismatch", message=evil, max_abs_error=1.0, max_rel_error=0.5)
    document["results"][1].update(
        outcome="error", message="raised ValueError: \x1b[31m<b>bold</b>", traceback=f"Traceback:\n  {evil}\x00"
    )
    document["results"][2].update(outcome="not_implemented", message="no <method>")
    document["results"][3].update(outcome="xfail", message="known <bug>")
    document["results"][4].update(outcome="crash", message="died")
    document["results"][5].update(outcome="timeout", message="slow")
    document["results"][6].update(outcome="xpass", message="stale xfail")
    return document, evil


def test_html_escapes_every_message_and_traceback(runs):
    document, evil = _hostile(runs)
    validate_document(document)
    text = html.render(merge_documents([("evil<x>.json", document)]))
    assert "<script" not in text and "<img" not in text and "<b>" not in text and "<method>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "evil&lt;x&gt;.json" in text
    assert "\x1b" not in text and "\x00" not in text and "\\x1b" in text
    # every failure is expandable, with its traceback and a reproduction
    assert text.count('<details class="failure"') == 6  # 5 failing + 1 xfail
    assert "Traceback:" in text
    assert "tensorparity run --backend numpy --op add" in text
    assert re.search(r"spec/ops/add\.yaml:\d+", text)
    for symbol in ("MM", "ER", "CR", "TO", "XP"):
        assert f">{symbol}<" in text


def test_markdown_keeps_messages_inert(runs):
    document, _ = _hostile(runs)
    text = markdown.render(merge_documents([("x|y.json", document)]))
    for line in text.splitlines():
        if "<script>" in line:  # only inside a code span
            assert re.search(r"`[^`]*<script>[^`]*`", line)
    assert "`x\\|y.json`" in text  # a pipe cannot split a table cell
    assert "\x1b" not in text and "\\x1b[31m" in text
    assert markdown.text("a|b <i>") == "a\\|b &lt;i&gt;"


def test_junit_parses_and_maps_outcomes(runs):
    document, evil = _hostile(runs)
    merged = merge_documents([("n.json", document), ("t.json", _load(runs[1]))])
    root = ET.fromstring(junit.render(merged).encode())
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["tensorparity.numpy", "tensorparity.torch"]
    cases = root.iter("testcase")
    by_name = {(c.get("classname"), c.get("name")): c for c in cases}
    assert len(by_name) == len(merged.results)
    first = merged.results[0]
    case = by_name[(first.op, f"{first.case}-{first.dtype}-{first.backend}")]
    assert case.find("failure").get("type") == "mismatch" and evil in case.find("failure").get("message")
    kinds = {r.outcome: by_name[(r.op, f"{r.case}-{r.dtype}-{r.backend}")] for r in merged.results}
    assert kinds["error"].find("error") is not None and "Traceback:" in kinds["error"].find("error").text
    assert kinds["crash"].find("error") is not None and kinds["timeout"].find("error") is not None
    assert kinds["xpass"].find("failure") is not None
    assert kinds["not_implemented"].find("skipped") is not None and kinds["xfail"].find("skipped") is not None
    assert len(list(kinds["pass"])) == 0
    numpy_suite = suites[0]
    assert (numpy_suite.get("failures"), numpy_suite.get("errors"), numpy_suite.get("skipped")) == ("2", "3", "2")
    assert root.get("tests") == str(len(merged.results))


# --- docs --------------------------------------------------------------------------
def test_docs_writes_a_page_per_op_and_an_index(spec, runs, tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["docs", "--out", str(out), "--results", str(runs[0]), "--results", str(runs[1])]) == 0
    assert "pages" in capsys.readouterr().out
    index = (out / "index.html").read_text()
    for op in spec.ops:
        page = out / f"{op}.html"
        assert page.exists(), op
        assert f'href="{op}.html"' in index
    assert (out / "dtypes.html").exists()
    add = (out / "add.html").read_text()
    assert "torch.add(input, other, *, alpha=1)" in add
    assert "Examples (1)" in add and "the source text" in add and "seed_3_1" in add  # the source text's examples
    assert "tensor([[ 6,  8],\n        [10, 12]], dtype=torch.int64)" in add  # torch's recorded output
    assert "agrees with torch" in add
    assert 'id="heat-' not in add and "numpy <span" in add and "torch <span" in add  # each backend's status
    sparse = (out / "sparse_coo_tensor.html").read_text()
    assert "Erratum" in sparse and "[3, 3]" in sparse
    assert "raises" in (out / "det.html").read_text()  # det raises on integer dtypes
    assert not re.search(r"<script|<link|\bsrc=", index + add)


def test_docs_escape_spec_text(spec, spec_dir, tmp_path):
    text = spec.ops["add"].path.read_text()
    text = text.replace("summary: Elementwise sum", "summary: <script>alert(1)</script> Elementwise sum", 1)
    text = text.replace("note: torch.add(tensor_a, tensor_b)", "note: <b>torch.add</b>(tensor_a, tensor_b)", 1)
    (spec_dir / "ops" / "add.yaml").write_text(text)
    out = tmp_path / "site"
    assert main(["docs", "--out", str(out), "--spec", str(spec_dir)]) == 0
    for page in ("add.html", "index.html"):
        html_text = (out / page).read_text()
        assert "<script" not in html_text and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "&lt;b&gt;torch.add&lt;/b&gt;" in (out / "add.html").read_text()


def test_html_tags_balance(runs):
    document, _ = _hostile(runs)
    text = html.render(merge_documents([("n.json", document), ("t.json", _load(runs[1]))]))
    for tag in ("table", "details", "div", "section", "pre", "code", "dl", "h2", "h3", "h4", "ul", "summary"):
        assert text.count(f"<{tag}>") + text.count(f"<{tag} ") == text.count(f"</{tag}>"), tag


def test_docs_without_results(spec, tmp_path):
    out = tmp_path / "site"
    assert main(["docs", "--out", str(out), "--spec", str(spec.ops["add"].path)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["add.html", "dtypes.html", "index.html"]
    assert "Backends" not in (out / "add.html").read_text()


def test_pretty_renders_calls_and_graphs(spec):
    cumprod = spec.ops["cumprod"]
    assert pretty.signature(cumprod.torch, cumprod.params) == "torch.cumprod(input, dim, *, dtype=None)"
    view = spec.ops["view"]
    assert pretty.signature(view.torch, view.params) == "torch.Tensor.view(input, *shape)"
    grad = next(c for c in spec.ops["grad"].cases if c.name == "seed_3_25")
    args, kwargs, expected = next(iter(grad.variants.values()))
    text = pretty.call("torch.autograd.grad", (), args, kwargs, {"pow": "torch.pow", "add": "torch.add"})
    assert text.splitlines() == [
        "x = tensor(2.0, dtype=torch.float32, requires_grad=True)",
        "y = torch.pow(x, 2)",
        "z = torch.add(y, 3)",
        "torch.autograd.grad(z, (x,))",
    ]
    assert pretty.expectation(expected) == "(tensor(4.0, dtype=torch.float32),)"
