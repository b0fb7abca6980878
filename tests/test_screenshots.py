"""python -m playground.screenshots: it takes one screenshot per tab of the launched app, the
README shows one per tab, and the committed ones are those of today's tabs (a new tab without a
screenshot fails here: run the command and commit assets/screenshots/)."""
import re

import pytest
from PIL import Image

from playground import screenshots

pytestmark = pytest.mark.browser


def test_every_tab_has_its_screenshot_in_the_readme(browser, app_url, tmp_path):
    taken = screenshots.take(app_url, tmp_path, browser=browser, settle_ms=200)
    names = [p.name for p in taken]
    assert len(names) >= 8 and len(set(names)) == len(names)
    for p in taken:
        with Image.open(p) as im:
            assert im.size == (screenshots.VIEWPORT["width"], screenshots.VIEWPORT["height"])
    committed = sorted(p.name for p in screenshots.OUT.glob("*.png"))
    assert committed == sorted(names), "run python -m playground.screenshots and commit them"
    readme = (screenshots.ROOT / "README.md").read_text()
    shown = set(re.findall(r"assets/screenshots/([\w-]+\.png)", readme))
    assert shown == set(names), f"the README does not show {sorted(set(names) - shown)}"
