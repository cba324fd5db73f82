"""Reports and docs a reader can act on (issue 16).

Failures first and grouped; each heatmap cell linked to exactly its failures; readable
without colour (WCAG contrast of every badge, colour-vision simulations); honest
version labels; docs that read as a reference; the bench plot with its noise; and no
page wider than a 400 px phone screen (in headless Chromium, where there is one).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from buggy_backend import Buggy
from tensorparity.backends.base import version_label
from tensorparity.backends.numpy_backend import NumpyBackend
from tensorparity.backends.python_backend import PythonBackend
from tensorparity.harness import divergences
from tensorparity.harness import results as outcomes
from tensorparity.harness.bench import REFERENCE, Row, add_ratios, figure, ratio_range, unstable
from tensorparity.harness.cases import expand
from tensorparity.harness.cli import main
from tensorparity.harness.reports import docs, html, markdown, page
from tensorparity.harness.reports.failures import failures, message_key, plain
from tensorparity.harness.reports.merge import merge_documents
from tensorparity.harness.results import results_document
from tensorparity.harness.runner import run
from wrong_backends import RaisingExp, ThreadsAsVersion, WrongDtypeDiv

ROOT = Path(__file__).resolve().parent.parent.parent
OPS = ["add", "div", "exp", "grad", "cat", "sparse_coo_tensor"]


# --- fixtures: results of deliberately wrong backends, made by the runner ---------------------
@pytest.fixture(scope="module")
def results(spec):
    backends = [Buggy(), WrongDtypeDiv(), RaisingExp(), NumpyBackend()]
    found = run(expand(spec, OPS), backends)
    # the backends' declared divergences (NumpyBackend.divergences.yaml, inherited by the wrong ones) apply
    found = divergences.apply(found, {b.name: divergences.for_backend(b) for b in backends}).results
    return found, {b.name: version_label(b) for b in backends}


@pytest.fixture(scope="module")
def merged(results):
    found, versions = results
    return merge_documents([("wrong.json", results_document(found, versions, spec=str(ROOT / "spec")))])


@pytest.fixture(scope="module")
def report(merged) -> str:
    return html.render(merged)


class Tree(HTMLParser):
    """The elements of a page: per id, the hrefs inside it; the heatmap cells with their links."""

    VOID = {"br", "meta", "img", "input", "hr", "link", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: dict[str, list[str]] = {}  # id -> hrefs inside the element
        self.stack: list[tuple[str, str | None]] = []
        self.cells: list[tuple[str, str, str, str | None, str]] = []  # (backend, op, dtype, href, class)
        self._heat: str | None = None  # the backend of the heatmap we are in
        self._columns: list[str] = []
        self._op: str | None = None
        self._column = 0
        self._in_row_head = False
        self._td: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id", "").startswith("heat-"):
            self._heat, self._columns = a["id"][len("heat-") :], []
        if tag == "th" and "data-dtype" in a and self._heat:
            self._columns.append(a["data-dtype"])
        if tag == "tr":
            self._op, self._column = None, 0
        if tag == "td" and self._heat and self._op:
            self._td = [self._heat, self._op, self._columns[self._column], None, a.get("class", "")]
            self._column += 1
        if tag == "a" and "href" in a:
            for _, element_id in self.stack:
                if element_id:
                    self.ids[element_id].append(a["href"])
            if self._td is not None:
                self._td[3] = a["href"]
        if "id" in a:
            self.ids.setdefault(a["id"], [])
        if tag not in self.VOID:
            self.stack.append((tag, a.get("id")))
        if tag == "th" and self._heat and not a.get("data-dtype") and self._columns:
            self._in_row_head = True

    def handle_endtag(self, tag):
        if tag == "td" and self._td is not None:
            self.cells.append(tuple(self._td))
            self._td = None
        if tag == "th":
            self._in_row_head = False
        while self.stack:
            open_tag, element_id = self.stack.pop()
            if element_id and element_id.startswith("heat-"):
                self._heat, self._columns = None, []
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._in_row_head and data.strip():
            self._op = data.strip()


# --- readable without colour ------------------------------------------------------------------
def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Machado, Oliveira and Fernandes (2009), severity 1.0, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]])


def simulate(colour: str, matrix: np.ndarray) -> str:
    rgb = np.array([int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(matrix @ linear, 0, 1)
    srgb = np.where(seen <= 0.0031308, seen * 12.92, 1.055 * seen ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in srgb)


def palette(css: str) -> dict[str, tuple[str, str]]:
    """outcome -> (background, text) as the page's CSS writes them."""
    rules = re.findall(r"\.o-(\w+) \{ background-color: (#[0-9a-f]{6}); color: (#[0-9a-f]{6}); \}", css)
    return {outcome: (background, text) for outcome, background, text in rules}


def test_every_badge_has_text_contrast_of_at_least_4_5(report):
    css = report[report.index("<style>") : report.index("</style>")]
    colours = palette(css)
    assert set(colours) == set(outcomes.OUTCOMES)
    used = set(re.findall(r'class="badge o-(\w+)"', report)) | set(re.findall(r'<td class="(?:count )?o-(\w+)"', report))
    assert used <= set(colours) and {"pass", "mismatch", "error"} <= used
    for outcome, (background, text) in colours.items():
        assert contrast(text, background) >= 4.5, (outcome, background, text, round(contrast(text, background), 2))
    for name, text, background in page.TEXT:  # the rest of the page's text
        assert contrast(text, background) >= 4.5, name
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


def test_failures_stand_out_in_lightness_for_colour_blind_readers(report):
    css = report[report.index("<style>") : report.index("</style>")]
    colours = palette(css)
    quiet = [colours[o][0] for o in (outcomes.PASS, outcomes.RAISES_AS_TORCH, outcomes.NOT_IMPLEMENTED, outcomes.XFAIL)]
    for outcome in outcomes.FAILING:
        loud = colours[outcome][0]
        for background in [*quiet, page.NO_CASE]:
            for seen in (lambda c: c, lambda c: simulate(c, DEUTERANOPIA), lambda c: simulate(c, PROTANOPIA)):
                assert contrast(seen(loud), seen(background)) >= 3.0, (outcome, background)
    # the figures, for the record: mismatch and pass used to differ by 1.21:1 in lightness
    assert contrast("#e53935", "#2e7d32") < 1.3
    # and failing cells carry a frame and a notch besides their colour
    assert re.search(r"\.o-mismatch\.badge.*table\.heat td:is\([^)]*\.o-mismatch[^)]*\) \{ box-shadow: inset", css)


# --- failures first --------------------------------------------------------------------------
def test_report_opens_with_exactly_the_failing_ops_and_their_counts(results, report):
    found, _ = results
    expected = Counter((r.backend, r.op) for r in found if r.failed)
    assert {b for b, _ in expected} == {"buggy", "wrong_dtype_div", "raising_exp"}  # numpy is conformant
    body = report[report.index("<main>") :]
    first = re.search(r"<section id=\"([^\"]+)\">(.*?)</section>", body, re.S)
    assert first.group(1) == "what-failed"
    assert body.index('id="what-failed"') < body.index('id="coverage"') < body.index('id="heatmaps"')
    section = first.group(2)
    listed = {}
    for backend, block in re.findall(
        r'<li data-backend="([^"]+)" data-failures="\d+">(.*?)(?=<li data-backend=|</ul>$)', section, re.S
    ):
        for op, count in re.findall(r'<li class="op" data-op="([^"]+)" data-failures="(\d+)">', block):
            listed[(backend, op)] = int(count)
            assert f"<strong>{count}</strong>" in block  # the count is on the page, not only in an attribute
    assert listed == dict(expected)
    # every backend is named, the conformant one with 0 failures; failing backends first
    order = re.findall(r'<li data-backend="([^"]+)" data-failures="(\d+)">', section)
    assert [b for b, _ in order][-1] == "numpy" and order[-1][1] == "0" and "0 failures" in section
    # each failing op links to its failures
    for backend, op in expected:
        assert f'href="#f-{backend}-{op}"' in section and f'id="f-{backend}-{op}"' in report


def test_each_heatmap_cell_links_to_exactly_its_failures(results, report):
    found, _ = results
    tree = Tree(report)
    failing = {}
    for r in found:
        if r.failed:
            failing.setdefault((r.backend, r.op, r.dtype), set()).add(f"#r-{r.id}")
    linked = {}
    for backend, op, dtype, href, classes in tree.cells:
        if href is None:
            continue
        assert href.startswith("#") and href[1:] in tree.ids, href
        assert any(f"o-{o}" in classes for o in outcomes.FAILING)
        inside = {h for h in tree.ids[href[1:]] if h.startswith("#r-")}
        assert inside == failing[(backend, op, dtype)], (backend, op, dtype)  # exactly that op x dtype's failures
        assert all(h[1:] in tree.ids for h in inside)  # each a case on the page, expandable
        linked[(backend, op, dtype)] = href
    assert set(linked) == set(failing)  # every failing cell links
    assert len(set(linked.values())) == len(linked)


def test_failures_are_grouped_by_kind_and_message(results, merged, report):
    found, _ = results
    buggy = next(b for b in failures({"buggy": [r for r in found if r.backend == "buggy"]}))
    add = next(op for op in buggy.ops if op.op == "add")
    groups = add.groups
    assert len(groups) == 1 and len(groups[0].results) == len(add.results) > 10
    assert groups[0].label == "dtype float64 where torch gives float32"
    dtypes = [d for d, _ in groups[0].dtypes]
    assert dtypes[0] == "float32" and "uint8" in dtypes and "float64" not in dtypes
    summary = f"<strong>{len(add.results)} &times;</strong> dtype float64 where torch gives float32: "
    assert summary in report
    # every case, once: the failures, and the known ones (xfail) in their folded group
    assert report.count('<details class="failure"') == sum(1 for r in found if r.failed or r.outcome == "xfail")
    exp = next(op for op in buggy.ops if op.op == "exp")
    # where torch computes an error; where torch raises NotImplementedError, the wrong exception class
    assert [g.label for g in exp.groups] == [
        "raised TypeError: not today",
        "raised TypeError where torch raises NotImplementedError: not today",
    ]
    # messages that differ only in numbers, shapes or dtype names are one group
    assert message_key("dtype float64, expected float32") == message_key("dtype float64, expected complex64")
    assert message_key("Mismatched elements: 1 / 6 (16.7%), at index (1, 2)") == message_key(
        "Mismatched elements: 1 / 4 (25.0%), at index (3,)"
    )
    assert message_key("returned a value where torch raises RuntimeError: a") == message_key(
        "returned a value where torch raises RuntimeError: b"
    )
    assert message_key("raised TypeError: x") != message_key("raised ValueError: x")
    assert plain("dtype float64, expected float32") == "dtype float64 where torch gives float32"
    text = markdown.render(merged)
    assert text.index("## What failed") < text.index("## Coverage") < text.index("## Matrix")
    assert f"- **{len(add.results)} × mismatch** `dtype float64 where torch gives float32`: float32" in text


def test_heatmaps_put_failing_backends_first_and_name_the_no_dtype_column(report):
    heat = re.findall(r'<div class="heatmap" id="heat-([^"]+)">', report)
    assert heat[-1] == "numpy" and set(heat[:-1]) == {"buggy", "wrong_dtype_div", "raising_exp"}
    assert 'data-dtype="none"' in report and "<div>no dtype</div>" in report and "such as cat([])" in report
    overview = report[report.index('id="overview"') : report.index('id="heatmaps"')]
    assert '<table class="heat overview">' in overview and "<th>add</th>" in overview


# --- honest labels ------------------------------------------------------------------------------
def test_a_backend_subclass_shows_its_own_version(report, tmp_path):
    assert version_label(NumpyBackend()) == np.__version__
    assert version_label(Buggy()) == f"buggy_backend:Buggy (subclass of numpy {np.__version__})"
    assert version_label(WrongDtypeDiv()).startswith("wrong_backends:WrongDtypeDiv")
    assert "wrong_backends" not in version_label(ThreadsAsVersion())  # a subclass with its own version() keeps it

    class Packaged(NumpyBackend):  # as if shipped in a distribution (PyYAML's top-level package)
        __module__ = "yaml.tensor_backend"
        name = "packaged"

    import yaml

    assert version_label(Packaged()) == f"PyYAML {yaml.__version__} (subclass of numpy {np.__version__})"

    class Again(Packaged):  # a subclass of such a subclass: still the library's version in brackets
        __module__ = "mypackage_not_installed.backend"

    assert version_label(Again()) == f"mypackage_not_installed.backend:{Again.__qualname__} (subclass of numpy {np.__version__})"
    # and the results file and the report carry it
    out = tmp_path / "buggy.json"
    assert main(["run", "--backend", "buggy_backend:Buggy", "--op", "numel", "--no-matrix", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["versions"]["backends"]["buggy"].startswith("buggy_backend:Buggy (subclass of numpy")
    assert "<code>buggy_backend:Buggy (subclass of numpy" in report


def test_every_backend_is_in_the_failures_section_and_shares_show_what_passes(results, report):
    details = report[report.index('<section id="failures">') : report.index('<section id="files">')]
    for backend in ("buggy", "wrong_dtype_div", "raising_exp", "numpy"):
        assert f'id="f-{backend}"' in details
    assert "<h3>numpy: 0 failures</h3>" in details
    found, _ = results
    numpy = [r for r in found if r.backend == "numpy"]
    # all but numpy's few declared divergences (NumpyBackend.divergences.yaml, xfail)
    numpy_passing = sum(1 for r in numpy if r.outcome in ("pass", "raises_as_torch"))
    assert f"ok {numpy_passing}/{len(numpy)}" in report
    buggy_add = [r for r in found if r.backend == "buggy" and r.op == "add"]
    passing = sum(1 for r in buggy_add if r.outcome in ("pass", "raises_as_torch"))
    assert f"MM {passing}/{len(buggy_add)}" in report  # the overview: worst outcome, and the share that passes


# --- docs that read like a reference ------------------------------------------------------------
def test_every_op_has_its_reference_facts(spec):
    assert len(spec.ops) == 28
    for op in spec.ops.values():
        assert op.doc.get("formula") and op.doc.get("returns"), op.op
        assert list(op.doc["params"]) == [p.name for p in op.params], op.op
        assert all(len(text) > 10 for text in op.doc["params"].values()), op.op


def test_doc_params_must_name_signature_parameters(spec_dir, spec):
    text = spec.ops["numel"].path.read_text().replace("    input: a tensor of any dtype and shape", "    inptu: a typo")
    (spec_dir / "ops" / "numel.yaml").write_text(text)
    from tensorparity.harness.spec import SpecError, load_spec

    with pytest.raises(SpecError, match=r"doc\.params\.inptu: describes 'inptu'"):
        load_spec(spec_dir)


@pytest.fixture(scope="module")
def site(spec, merged, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    docs.write_site(spec, out, merged)
    return out


def _visible(html_text: str) -> str:
    text = re.sub(r"<style>.*?</style>", "", html_text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def test_add_reads_as_a_reference(spec, site):
    add = (site / "add.html").read_text()
    op = spec.ops["add"]
    visible = _visible(add)
    assert "What it computes" in add and "out = input + alpha × other" in add
    for p in op.params:
        assert f"<dt><code>{p.name}</code>" in add
        assert docs.esc(docs._sentence(op.doc["params"][p.name])) in add
    assert "Returns" in add and docs.esc(docs._sentence(op.doc["returns"])) in add
    assert "tensor_or_scalar" not in visible and "§" not in visible and "&sect;" not in add
    assert not re.search(r"\bseed\b", visible, re.I), re.findall(r".{40}\bseed\b.{40}", visible, re.I)[:3]
    assert "Computes in" in add and "Raises in" in add and "quint8" in add
    assert 'class="legend"' in add
    # the cases, collapsed, each with its inputs
    assert add.count('<details class="case" id="case-') == len(op.cases)
    basic = add[add.index('id="case-basic"') :]
    assert "<h4>Call" in basic[: basic.index("</details>")] and "torch.add(" in basic[: basic.index("</details>")]
    # linked to the report's failures of add, which exist
    report = (site / "report.html").read_text()
    assert 'href="report.html#f-buggy-add"' in add and 'id="f-buggy-add"' in report
    assert 'href="report.html#f-buggy-add-float32"' in add and 'id="f-buggy-add-float32"' in report
    assert '<a href="add.html">add</a>' in report  # and back


def test_sparse_coo_tensor_explains_its_erratum(site):
    sparse = (site / "sparse_coo_tensor.html").read_text()
    assert "torch disagrees" not in sparse
    assert "Its printed output agrees with torch (its prose does not: see the erratum below)." in sparse
    erratum = sparse[sparse.index('<div class="erratum">') :]
    erratum = erratum[: erratum.index("</div>")]
    assert "the inferred size will be [3, 3]" in erratum
    assert "the text says the size is [3, 3]; its own printed output and torch both give (2, 3)" in erratum
    assert "What it computes" in sparse and "COO" in sparse and "nnz" in sparse


def test_every_page_has_a_legend_and_the_index_shows_shares(site, merged):
    pages = sorted(site.glob("*.html"))
    assert len(pages) == 28 + 3
    for path in pages:
        assert 'class="legend"' in path.read_text(), path.name
    index = (site / "index.html").read_text()
    numpy_add = [r for r in merged.results if r.backend == "numpy" and r.op == "add"]
    assert f"ok {len(numpy_add)}/{len(numpy_add)}" in index
    buggy_add = [r for r in merged.results if r.backend == "buggy" and r.op == "add"]
    mm = sum(1 for r in buggy_add if r.outcome == "mismatch")
    assert f">MM {mm}<" in index and 'href="report.html#f-buggy-add"' in index


def test_the_python_backend_shows_what_passes_not_only_its_gaps(spec, tmp_path):
    results = run(expand(spec, ["add"]), [PythonBackend()])
    counts = Counter(r.outcome for r in results)
    assert counts["not_implemented"] and counts["pass"]
    text = page.share(counts)
    passing = counts["pass"] + counts["raises_as_torch"]
    assert f"ok {passing}/{len(results)}" in text and f"- {counts['not_implemented']}" in text


# --- the bench plot shows its noise -------------------------------------------------------------
def _row(op: str, backend: str, median: float, spread: float) -> Row:
    return Row(op, 100, backend, "ok", median, median * (1 - spread), median * (1 + spread), median * (1 - spread), 10, 7)


def test_bench_plot_draws_spread_and_marks_unstable_figures(tmp_path):
    rows = []
    for op, torch_s, numpy_s, torch_spread in (
        ("add", 2e-6, 2.4e-6, 0.02),
        ("mm", 6.95e-3, 2.6e-5, 1.02),
        ("exp", 3e-6, 2.6e-6, 0.03),
    ):
        rows += [_row(op, REFERENCE, torch_s, torch_spread), _row(op, "numpy", numpy_s, 0.03)]
    add_ratios(rows)
    by_op = {r.op: r for r in rows if r.backend == "numpy"}
    torch_rows = {r.op: r for r in rows if r.backend == REFERENCE}
    assert unstable(by_op["mm"], torch_rows["mm"]) and not unstable(by_op["add"], torch_rows["add"])
    lo, hi = ratio_range(by_op["add"], torch_rows["add"])
    assert lo < by_op["add"].ratio_to_torch < hi
    fig = figure(rows)
    axis = fig.axes[0]
    low, high = axis.get_ylim()
    assert low * high == pytest.approx(1.0)  # symmetric about 1 on the log axis
    assert 1.2 < high < 2.0  # scaled to the stable figures (1.2 and 0.87 with their spread), not to mm's 0.0037
    hatched = [p for p in axis.patches if p.get_hatch()]
    assert len(hatched) == 1  # mm, unstable
    errorbars = [c for c in axis.containers if type(c).__name__ == "ErrorbarContainer"]
    assert len(errorbars) == 2  # the stable figures
    labels = [t.get_text() for t in axis.texts]
    assert "0.0037? \u2193" in labels  # its value, marked unsure and clipped
    assert any("unstable" in t.get_text() for t in fig.texts)
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- readable on a phone -----------------------------------------------------------------------------
BROWSER = next(
    (
        shutil.which(name)
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if shutil.which(name)
    ),
    None,
)


@pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium here (chromium, chromium-browser or google-chrome on PATH): the 400 px width check needs a browser",
)
def test_no_page_is_wider_than_a_400px_screen(site, tmp_path):
    pages = [
        site / name
        for name in ("report.html", "index.html", "dtypes.html", "add.html", "sparse_coo_tensor.html", "grad.html", "pad.html")
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_widths.py"), "--width", "400", "--max", "400", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    widths = {line.split()[1]: int(line.split()[0]) for line in done.stdout.splitlines() if line.strip()}
    assert len(widths) == len(pages), done.stderr
    assert done.returncode == 0, (widths, done.stderr)
    assert all(width <= 400 for width in widths.values()), widths
