"""``tensorparity report``: results files merged into one report (``harness.reports``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tensorparity.harness import baseline, report
from tensorparity.harness.cli.common import EXIT_FAIL, EXIT_OK, one_line_errors, usage_error
from tensorparity.harness.cli.run import failures_count
from tensorparity.harness.reports import html, junit, markdown
from tensorparity.harness.reports.grid import dtype_order
from tensorparity.harness.reports.merge import ResultsFileError, merge_files


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("report", help="merge results files into one report: HTML, Markdown, JUnit XML")
    parser.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULTS.json",
        help="results files; a later one wins; the shards of a run (run --shard) merge into the whole run",
    )
    parser.add_argument("--html", type=Path, metavar="FILE", help="a self-contained HTML page: heatmaps, coverage, failures")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="the same report as Markdown tables")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="JUnit XML, one testcase per result")
    parser.add_argument("--title", default="tensorparity conformance report", help="the report's title")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="OLD.json",
        help="compare with an earlier results file: a changes section; only regressions fail",
    )
    parser.add_argument("--failures", default="10", metavar="N|all", help="individual failure lines after the grouped summary")
    one_line_errors(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    try:
        merged = merge_files(args.results)
    except ResultsFileError as error:
        return usage_error(error)
    try:
        failures = failures_count(args.failures)
    except ValueError:
        return usage_error(f"--failures takes a number of lines or 'all', not {args.failures!r}")
    found = None
    if args.baseline is not None:
        try:
            found = baseline.compare(baseline.load(args.baseline), merged.results, str(args.baseline))
        except baseline.BaselineError as error:
            return usage_error(error)
    outputs = [
        (args.html, lambda: _with_changes_html(html.render(merged, args.title), found)),
        (args.markdown, lambda: markdown.render(merged, args.title) + ("\n" + markdown.changes(found) if found else "")),
    ]
    outputs.append((args.junit, lambda: junit.render(merged)))
    dtypes = dtype_order({r.dtype for r in merged.results})
    print(report.render(merged.results, dtypes, show_matrix=not any(path for path, _ in outputs), max_failures=failures))
    if found is not None:
        print("\n".join(found.lines()))
    for path, render in outputs:
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(), encoding="utf-8")
            print(f"wrote {path}")
    if found is not None:
        return EXIT_FAIL if found.regressions else EXIT_OK
    return EXIT_FAIL if any(result.failed for result in merged.results) else EXIT_OK


def _with_changes_html(page: str, found: baseline.Changes | None) -> str:
    """The page with the changes section before its first section heading (or at the end)."""
    if found is None:
        return page
    section = html.changes(found)
    at = page.find("<h2")
    if at < 0:
        at = page.rfind("</body>")
    return page[:at] + section + "\n" + page[at:] if at >= 0 else page + section
