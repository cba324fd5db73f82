"""JUnit XML for CI systems: one testcase per result.

A testsuite per backend; each testcase has classname = op and
name = case-dtype-backend. Outcomes map as CI systems expect:
  pass, raises_as_torch      passed (no child element)
  mismatch, wrong_exception, xpass  <failure type="...">
  error, timeout, crash      <error type="...">
  not_implemented, xfail     <skipped> (a gap or a known failure, not news)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tensorparity.harness import results as outcomes
from tensorparity.harness.reports.grid import by_backend
from tensorparity.harness.reports.merge import Merged
from tensorparity.harness.reports.repro import reproduce
from tensorparity.harness.results import Result

FAILURE = frozenset({outcomes.MISMATCH, outcomes.WRONG_EXCEPTION, outcomes.XPASS})
ERROR = frozenset({outcomes.ERROR, outcomes.TIMEOUT, outcomes.CRASH})
SKIPPED = frozenset({outcomes.NOT_IMPLEMENTED, outcomes.XFAIL})

# Characters XML 1.0 cannot hold at all (ElementTree would write them and the file would not parse).
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    return _INVALID.sub("\ufffd", "" if text is None else str(text))


def render(merged: Merged) -> str:
    spec_root = merged.spec_root()
    root = ET.Element("testsuites", name="tensorparity")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    index = {id(result): i for i, result in enumerate(merged.results)}
    for backend, results in by_backend(merged.results).items():
        suite = ET.SubElement(root, "testsuite", name=clean(f"tensorparity.{backend}"))
        counts = {
            "tests": len(results),
            "failures": sum(r.outcome in FAILURE for r in results),
            "errors": sum(r.outcome in ERROR for r in results),
            "skipped": sum(r.outcome in SKIPPED for r in results),
            "time": sum(r.duration_s for r in results),
        }
        for key, value in counts.items():
            suite.set(key, f"{value:.6f}" if key == "time" else str(value))
            totals[key] += value
        properties = ET.SubElement(suite, "properties")
        files = dict.fromkeys(merged.source_of(index[id(r)]).path for r in results)
        for path in files:
            ET.SubElement(properties, "property", name="results_file", value=clean(path))
        for version in dict.fromkeys(r.backend_version for r in results if r.backend_version):
            ET.SubElement(properties, "property", name="backend_version", value=clean(version))
        for result in results:
            _testcase(suite, result, spec_root)
    for key, value in totals.items():
        root.set(key, f"{value:.6f}" if key == "time" else str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(suite: ET.Element, result: Result, spec_root: str | None) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=clean(result.op),
        name=clean(f"{result.case}-{result.dtype}-{result.backend}"),
        time=f"{result.duration_s:.6f}",
    )
    outcome = result.outcome
    message = clean(f"{outcome}: {result.message}" if result.message else outcome)
    if outcome in FAILURE or outcome in ERROR:
        repro = reproduce(result, spec_root)
        details = [result.line()]
        if result.max_abs_error is not None or result.max_rel_error is not None:
            details.append(f"greatest error: absolute {result.max_abs_error}, relative {result.max_rel_error}")
        if result.traceback:
            details += ["", result.traceback.rstrip()]
        details += ["", f"reproduce: {repro.command}", f"case {repro.case} in {repro.location}"]
        element = ET.SubElement(case, "failure" if outcome in FAILURE else "error", message=message, type=outcome)
        element.text = clean("\n".join(details))
    elif outcome in SKIPPED:
        ET.SubElement(case, "skipped", message=message, type=outcome)
