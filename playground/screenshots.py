"""python -m playground.screenshots [--url URL] [--out assets/screenshots]: one screenshot per tab
of the running app (or of one this command launches), in Chromium at a fixed viewport, for the
README. The tabs are read from the page itself, so a new tab gets its screenshot without a change
here; each is taken once the tab's own work (Gradio's progress indicators, the page's first
picture) has settled.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assets" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
SETTLE_MS = 1500      # after a tab's progress indicators are gone: plots finish drawing


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "tab"


def take(url: str, out: Path = OUT, *, browser=None, settle_ms: int = SETTLE_MS) -> list[Path]:
    """Screenshot every top-level tab of the page at `url` into `out` (<slug of the tab>.png);
    the files written, in tab order. In `browser` (a Playwright Browser), else a Chromium of its
    own."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        from playground.bench import CHROMIUM_ARGS
        path = shutil.which("chromium") or shutil.which("chromium-browser")
        if not path:
            raise SystemExit("Chromium is not installed (make test installs it)")
        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            try:
                return take(url, out, browser=own, settle_ms=settle_ms)
            finally:
                own.close()
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("[role=tab]", timeout=60_000)
    page.wait_for_function("() => Number(document.querySelector('#decoded-canvas')?.dataset.paints"
                           " || 0) > 0 || !document.querySelector('#decoded-canvas')",
                           timeout=60_000)
    # the first tab strip in the page: the top-level tabs (a tab's own sub-tabs come later)
    tabs = page.locator("[role=tablist]").first.locator("[role=tab]")
    titles = [t.strip() for t in tabs.all_inner_texts() if t.strip()]
    written = []
    for title in titles:
        page.locator("[role=tablist]").first.get_by_role("tab", name=title, exact=True).click()
        page.wait_for_function("() => !document.querySelector('.wrap.generating, .eta-bar')",
                               timeout=60_000)
        page.wait_for_timeout(settle_ms)
        path = out / f"{slug(title)}.png"
        page.screenshot(path=str(path))
        written.append(path)
    context.close()
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m playground.screenshots", description=__doc__)
    ap.add_argument("--url", help="a running app (default: launch `python app.py` for the run)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    args = ap.parse_args(argv)
    if args.url:
        written = take(args.url, args.out)
    else:
        from playground.bench import Server
        server = Server(env={"LATENT_PLAYGROUND_WARMUP": "0"})
        try:
            written = take(server.url, args.out)
        finally:
            server.close()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
