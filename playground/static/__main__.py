"""python -m playground.static OUT_DIR [--root pretrained/]: write the static folder, print its
report (each exported part's size and error against torch, what was left out, the folder size)."""
import argparse
import sys
from pathlib import Path

from playground.static.folder import BuildError, build
from playground.store import PRETRAINED


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m playground.static", description=__doc__)
    ap.add_argument("out", type=Path, help="folder to write (empty, or an earlier build)")
    ap.add_argument("--root", type=Path, default=PRETRAINED, help="models to export")
    args = ap.parse_args(argv)
    try:
        report = build(args.out, args.root)
    except BuildError as err:
        print(f"static build failed: {err}", file=sys.stderr)
        return 1
    print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
