"""How wide each HTML page lays out in headless Chromium at a phone-sized viewport.

    python tools/check_widths.py report.html site/*.html [--width 400] [--max WIDTH]

For each page: a copy with a small script appended that measures
``document.documentElement.scrollWidth``, laid out in an iframe W pixels wide (a
headless Chromium window is never narrower than 500 px; the frame is the page's
viewport, media queries included), which posts the figure to the frame's page;
``chromium --headless --dump-dom`` prints that page and the figure is read back. No Python package beyond the standard library, no network.
Prints ``WIDTH  PAGE`` per page, and for a page wider than the viewport the first
elements that stick out (outside a scrolling box); with ``--max``, exits 1 when a
page is wider.
Exits 2 when no Chromium is found (``$CHROMIUM``, chromium, chromium-browser,
google-chrome, google-chrome-stable).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MARK = "tp-scroll-width"
# Runs inside the page: measures it, names the first elements that stick out past the
# viewport (outside a scrolling box), and posts the line to the frame around the page.
PROBE = (
    "<script>(function(){var e=document.documentElement,w=window.innerWidth,out=[];"
    "var all=document.body.getElementsByTagName('*');"
    "for(var i=0;i<all.length&&out.length<8;i++){var n=all[i];"
    "if(n.parentElement&&n.parentElement.closest('.scroll'))continue;"
    "var r=n.getBoundingClientRect();if(r.right>w+1)out.push(n.tagName.toLowerCase()+(n.id?'#'+n.id:'')+"
    "(n.className&&typeof n.className==='string'?'.'+n.className.split(' ').join('.'):'')+':'+Math.round(r.right));}"
    f"parent.postMessage('{MARK}='+e.scrollWidth+'/'+w+'/'+out.join(' '),'*');}})();</script>"
)
# Chromium's headless window is at least 500 px wide: the page is laid out in an iframe of the
# width asked for, which is its viewport (media queries included).
FRAME = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
    "<iframe src='{src}' style='width:{width}px;height:{height}px;border:0;display:block'></iframe>"
    "<script>window.addEventListener('message',function(m){{var p=document.createElement('pre');"
    "p.textContent=String(m.data);document.body.appendChild(p);}});</script></body></html>"
)
_FOUND = re.compile(MARK + r"=(\d+)/(\d+)/([^\n<]*)")


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
    return probe(page, width, browser, timeout)[0]


def probe(page: Path, width: int = 400, browser: str | None = None, timeout: float = 60.0) -> tuple[int, str]:
    """(scrollWidth, the first elements sticking out past the viewport) of ``page`` at ``width`` pixels."""
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found (chromium, chromium-browser, google-chrome, or $CHROMIUM)")
    text = page.read_text(encoding="utf-8")
    probed = text.replace("</body>", PROBE + "</body>") if "</body>" in text else text + PROBE
    with tempfile.TemporaryDirectory(prefix="tp-widths-") as folder:
        copy = Path(folder) / page.name  # beside nothing: the page is self-contained
        copy.write_text(probed, encoding="utf-8")
        frame = Path(folder) / "frame.html"
        frame.write_text(FRAME.format(src=copy.name, width=width, height=900), encoding="utf-8")
        command = [
            *_browser_command(browser, max(width, 500), 900, str(Path(folder) / "profile")),
            "--virtual-time-budget=5000",  # let the frame's message arrive before the DOM is dumped
            "--dump-dom",
            frame.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    found = _FOUND.search(done.stdout)
    if not found:
        raise RuntimeError(f"{page}: the browser wrote no width (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return int(found.group(1)), html.unescape(found.group(3)).strip()


def screenshot(
    page: Path, out: Path, width: int, height: int, browser: str | None = None, timeout: float = 60.0, fragment: str = ""
) -> None:
    """A PNG of the top ``height`` pixels of ``page`` (scrolled to ``#fragment``, if given) at a ``width``-pixel
    viewport (under 500 px: in a frame, the rest of the window white: crop it to ``width``)."""
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found")
    with tempfile.TemporaryDirectory(prefix="tp-shot-") as folder:
        target = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        if width < 500 or fragment:  # a window scrolled to a fragment shoots blank: the frame scrolls instead
            frame = Path(folder) / "frame.html"
            frame.write_text(FRAME.format(src=target, width=width, height=height), encoding="utf-8")
            target = frame.as_uri()
        command = [*_browser_command(browser, max(width, 500), height, str(Path(folder) / "profile"))]
        command += ["--virtual-time-budget=3000", f"--screenshot={out.resolve()}", target]
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
        width, culprits = probe(page, args.width, browser)
        print(f"{width:6d}  {page}" + (f"  (wider: {culprits})" if width > args.width and culprits else ""))
        if args.max is not None and width > args.max:
            too_wide.append(page)
    if too_wide:
        print(f"{len(too_wide)} page(s) wider than {args.max} px at a {args.width} px viewport", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
