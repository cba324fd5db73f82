"""Reports people read, from results files (``tensorparity run --json``).

One idea per module:
  merge     read results files (validated against schemas/results.schema.json) and merge them
  grid      the op x dtype matrix, worst outcome per cell, and coverage counts
  failures  what failed, per backend and op, grouped by kind and message (up to numbers and dtypes)
  repro     how to reproduce one result: the command and the case's YAML location
  page      the HTML shell shared by every page: inline CSS, a colour-blind-safe palette, escaping,
            outcome badges, tables that scroll on their own on a phone
  html      the merged conformance report as one self-contained HTML page, failures first
  markdown  the same report as Markdown tables
  junit     JUnit XML for CI systems
  pretty    spec values (inputs, expectations, calls, signatures) as torch-like text
  docs      a reference page per op, rendered from the spec (and optionally results, then with the report)
The terminal report is ``harness/report.py``.
"""
