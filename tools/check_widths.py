"""How wide each HTML page lays out in headless Chromium at a phone-sized viewport.

    python tools/check_widths.py report.html site/*.html [--width 400] [--max WIDTH]

For each page: a copy with a small script appended that writes
``document.documentElement.scrollWidth`` into the page, loaded with
``chromium --headless --dump-dom --window-size=W,900``; the number is read back
from the dumped DOM. No Python package beyond the standard library, no network.
Prints ``WIDTH  PAGE`` per page; with ``--max``, exits 1 when a page is wider.
Exits 2 when no Chromium is found (``$CHROMIUM``, chromium, chromium-browser,
google-chrome, google-chrome-stable).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MARK = "tp-scroll-width"
PROBE = (
    f'<script>(function(){{var e=document.documentElement,b=document.body;'
    f'var p=document.createElement("pre");p.id="{MARK}";'
    f'p.textContent="{MARK}="+e.scrollWidth+"/"+(b?b.scrollWidth:0)+"/"+window.innerWidth;'
    f"document.body.appendChild(p);}})();</script>"
)
_FOUND = re.compile(MARK + r"=(\d+)/(\d+)/(\d+)")


def find_browser() -> str | None:
    """The Chromium to use: ``$CHROMIUM``, else the first of BROWSERS on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"]) or os.environ["CHROMIUM"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _browser_command(browser: str, width: int, height: int, profile: str) -> list[str]:
    return [
        browser,
        "--headless",
        "--no-sandbox",  # containers run as root
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ]


def measure(page: Path, width: int = 400, browser: str | None = None, timeout: float = 60.0) -> int:
    """The scrollWidth of ``page`` laid out in a ``width``-pixel viewport."""
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found (chromium, chromium-browser, google-chrome, or $CHROMIUM)")
    text = page.read_text(encoding="utf-8")
    probed = text.replace("</body>", PROBE + "</body>") if "</body>" in text else text + PROBE
    with tempfile.TemporaryDirectory(prefix="tp-widths-") as folder:
        copy = Path(folder) / page.name  # beside nothing: the page is self-contained
        copy.write_text(probed, encoding="utf-8")
        command = [*_browser_command(browser, width, 900, str(Path(folder) / "profile")), "--dump-dom", copy.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    found = _FOUND.search(done.stdout)
    if not found:
        raise RuntimeError(f"{page}: the browser wrote no width (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return int(found.group(1))


def screenshot(page: Path, out: Path, width: int, height: int, browser: str | None = None, timeout: float = 60.0) -> None:
    """A PNG of the top ``height`` pixels of ``page`` at a ``width``-pixel viewport."""
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found")
    with tempfile.TemporaryDirectory(prefix="tp-shot-") as folder:
        command = [*_browser_command(browser, width, height, folder), f"--screenshot={out.resolve()}", page.resolve().as_uri()]
        subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", type=Path, help="HTML files")
    parser.add_argument("--width", type=int, default=400, help="viewport width in CSS pixels (default 400)")
    parser.add_argument("--max", type=int, metavar="WIDTH", help="exit 1 if a page's scrollWidth is over WIDTH")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("check_widths: no Chromium found (chromium, chromium-browser, google-chrome, or $CHROMIUM)", file=sys.stderr)
        return 2
    too_wide = []
    for page in args.pages:
        width = measure(page, args.width, browser)
        print(f"{width:6d}  {page}")
        if args.max is not None and width > args.max:
            too_wide.append(page)
    if too_wide:
        print(f"{len(too_wide)} page(s) wider than {args.max} px at a {args.width} px viewport", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
