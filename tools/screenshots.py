"""Screenshots of the report and the docs, as a reader sees them, for docs/screenshots/.

    python tools/screenshots.py --label after [--out docs/screenshots] [--site DIR]

Runs the numpy, python and a deliberately buggy backend (tests/unit/buggy_backend.py) over
the whole spec, writes the docs site with those results (which holds the report), and
takes each page's top at a desktop (1366 px) and a phone (400 px) viewport in headless
Chromium (tools/check_widths.py), plus the report's heatmaps as readers with
deuteranopia and in greyscale see them; with ``--label after``, the bench plot of
timings shaped like issue 16's (a noisy torch time). PNGs are reduced to a palette to
stay small; names carry the label and the date: ``report-after-desktop-2026-11-30.png``.
``--site DIR`` shoots an existing site instead (e.g. one the code before a change wrote).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests" / "unit")]

from check_widths import screenshot  # noqa: E402

PAGES = {"report": "report.html", "add": "add.html", "sparse_coo_tensor": "sparse_coo_tensor.html", "index": "index.html"}
VIEWPORTS = {"desktop": (1366, 1400), "phone": (400, 1400)}
# Machado, Oliveira and Fernandes (2009), deuteranopia at severity 1.0, on linear RGB.
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))


def build_site(folder: Path) -> Path:
    from tensorparity.harness.cli import main

    files = []
    for backend, name in (("numpy", "numpy"), ("python", "python"), ("buggy_backend:Buggy", "buggy")):
        path = folder / f"{name}.json"
        main(["run", "--backend", backend, "--no-matrix", "--json", str(path)])
        files += ["--results", str(path)]
    site = folder / "site"
    main(["docs", "--out", str(site), *files])
    return site


def small_png(source: Path, target: Path, crop: tuple[int, int] | None = None) -> None:
    """``source`` reduced to 128 colours (and cropped to width x height), as ``target``."""
    from PIL import Image

    image = Image.open(source).convert("RGB")
    if crop:
        image = image.crop((0, 0, *crop))
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def colour_blind(source: Path, target: Path, box: tuple[int, int, int, int]) -> None:
    """The region ``box`` of ``source`` as seen with deuteranopia (above) and in greyscale (below)."""
    import numpy as np
    from PIL import Image

    image = Image.open(source).convert("RGB").crop(box)
    values = np.asarray(image).astype(float) / 255
    linear = np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ np.array(DEUTERANOPIA).T, 0, 1)
    srgb = np.where(seen <= 0.0031308, seen * 12.92, 1.055 * seen ** (1 / 2.4) - 0.055)
    width, height = image.size
    both = Image.new("RGB", (width, 2 * height), "white")
    both.paste(Image.fromarray((srgb * 255).round().astype("uint8")), (0, 0))
    both.paste(image.convert("L").convert("RGB"), (0, height))
    both.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def bench_rows() -> list:
    """Timings shaped like the issue's: numpy mm at 0.0037x torch from a torch time of 6.95 ms +-102%."""
    from tensorparity.harness.bench import Row, add_ratios

    rows = []
    for op, torch_s, numpy_s, torch_spread in (
        ("add", 2.0e-6, 2.4e-6, 0.02),
        ("mm", 6.95e-3, 2.6e-5, 1.02),
        ("exp", 3.0e-6, 2.6e-6, 0.03),
        ("cat", 4.0e-6, 5.0e-6, 0.02),
        ("det", 9.0e-6, 1.4e-5, 0.04),
    ):
        for backend, median, spread in (
            ("torch", torch_s, torch_spread),
            ("numpy", numpy_s, 0.03),
            ("python", numpy_s * 30, 0.03),
        ):
            low, high = median * (1 - spread), median * (1 + spread)
            rows.append(Row(op, 100, backend, "ok", median, low, high, low, 10, 7))
    add_ratios(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="before or after: part of each file name")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--site", type=Path, help="an existing docs site (with report.html) to shoot")
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    parser.add_argument("--heatmaps", default="heatmaps", help="the report's id to scroll to for the colour-blind view")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tp-shots-") as folder:
        site = args.site or build_site(Path(folder))
        for name, page in PAGES.items():
            if not (site / page).exists():
                continue
            for viewport, (width, height) in VIEWPORTS.items():
                raw = Path(folder) / f"{name}-{viewport}.png"
                screenshot(site / page, raw, width, height)
                target = args.out / f"{name}-{args.label}-{viewport}-{args.date}.png"
                small_png(raw, target, (width, height))
                print(f"{target.stat().st_size // 1024:5d} KB  {target}")
        if args.label == "after":
            from tensorparity.harness.bench import plot

            raw = Path(folder) / "bench.png"
            plot(bench_rows(), raw, {"numpy": "2.x", "torch": "2.x", "cpus": 2})
            target = args.out / f"bench-{args.label}-{args.date}.png"
            small_png(raw, target)
            print(f"{target.stat().st_size // 1024:5d} KB  {target}")
        heat = Path(folder) / "report-heatmaps.png"
        screenshot(site / "report.html", heat, 1920, 760, fragment=args.heatmaps)
        target = args.out / f"report-{args.label}-colourblind-{args.date}.png"
        colour_blind(heat, target, (0, 0, 1920, 760))
        print(f"{target.stat().st_size // 1024:5d} KB  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
