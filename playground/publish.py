"""python -m playground.publish --space USER/NAME [--static] [--dry-run]: put the playground on a
Hugging Face Space with huggingface_hub's upload_folder (which stores binary files through LFS/Xet
itself), after checking what Hugging Face would refuse or run differently.

Two forms:
- the app (a Gradio Space): the repository's files that run it (not its tests or CI), with the
  README's front matter (sdk, the installed Gradio version, app_file, python_version) and
  requirements.txt checked. Creating a Gradio Space needs a paid plan (PRO, Team, Enterprise) for
  CPU hardware; free accounts may host up to two on ZeroGPU (see the README's "Hosting" section
  for what that needs);
- `--static`: the static build (python -m playground.static), free for every account: its
  `sdk: static` front matter, index.html, the 25 MB budget.

`--dry-run` prints every check and the files that would go up, and uploads nothing. Without it,
a failed check stops the upload. The token comes from HF_TOKEN or `huggingface-cli login`.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPACE_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
MAX_FILE = 20_000_000        # the project's own limit per file (weights are a few MB each)
# What a Space does not run: the test suite, CI, benchmark results, local tooling.
NOT_SHIPPED = ("tests/", ".ci/", ".github/", "bench-results/", "site/", "requirements-test.txt",
               "pytest.ini", "Makefile", ".gitignore")
PICKLES = (".pt", ".pth", ".pkl", ".ckpt", ".pickle")
# Hugging Face refuses binary files pushed with git unless LFS/Xet stores them.
LFS_PATTERNS = ("*.safetensors", "*.npz", "*.png", "*.gif")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Plan:
    """What would go up: the folder, the files in it (relative, sorted), the checks."""
    sdk: str
    folder: Path
    files: list[str]
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def size(self) -> int:
        return sum((self.folder / f).stat().st_size for f in self.files)

    def text(self) -> str:
        lines = [f"{'ok  ' if c.ok else 'FAIL'} {c.name}" + (f": {c.detail}" if c.detail else "")
                 for c in self.checks]
        lines.append(f"{len(self.files)} files, {self.size() / 1e6:.2f} MB, from {self.folder}")
        return "\n".join(lines)


def front_matter(readme: Path) -> dict:
    """The YAML between the first two '---' lines of a README ({} when there is none)."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    meta = yaml.safe_load(m.group(1)) if m else None
    return meta if isinstance(meta, dict) else {}


def app_files(root: Path = ROOT) -> list[str]:
    """The repository's tracked files that run the app (git ls-files: nothing ignored, no venv or
    caches), less NOT_SHIPPED."""
    out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True,
                         check=True).stdout.decode().split("\0")
    return sorted(f for f in out if f and not f.startswith(NOT_SHIPPED) and (root / f).is_file())


def common_checks(plan: Plan) -> list[Check]:
    big = [f for f in plan.files if (plan.folder / f).stat().st_size > MAX_FILE]
    pickles = [f for f in plan.files if f.endswith(PICKLES)]
    meta = front_matter(plan.folder / "README.md")
    return [
        Check("README.md front matter", bool(meta), "title, sdk, ..." if meta else "missing"),
        Check(f"sdk is {plan.sdk}", meta.get("sdk") == plan.sdk, f"found {meta.get('sdk')!r}"),
        Check(f"every file under {MAX_FILE / 1e6:.0f} MB", not big, ", ".join(big)),
        Check("no pickled weights (safetensors only)", not pickles, ", ".join(pickles)),
    ]


def plan_app(root: Path = ROOT) -> Plan:
    import gradio
    plan = Plan("gradio", root, app_files(root))
    meta = front_matter(root / "README.md")
    req = (root / "requirements.txt").read_text() if (root / "requirements.txt").is_file() else ""
    reqs = [line.split("#")[0].strip() for line in req.splitlines()]
    reqs = [r for r in reqs if r]
    names = {re.split(r"[\[<>=!~;\s]", r)[0].lower() for r in reqs}
    attrs = (root / ".gitattributes").read_text() if (root / ".gitattributes").is_file() else ""
    no_lfs = [p for p in LFS_PATTERNS if not re.search(rf"^{re.escape(p)}\s.*filter=lfs", attrs, re.M)]
    app_file = str(meta.get("app_file", ""))
    plan.checks = common_checks(plan) + [
        Check("sdk_version is the installed Gradio", str(meta.get("sdk_version")) == gradio.__version__,
              f"front matter {meta.get('sdk_version')!r}, installed {gradio.__version__}"),
        Check("app_file is uploaded", app_file in plan.files, app_file or "no app_file"),
        Check("python_version set", bool(re.fullmatch(r"3\.\d+(\.\d+)?", str(meta.get("python_version", "")))),
              str(meta.get("python_version"))),
        Check("requirements.txt lists gradio and torch", {"gradio", "torch"} <= names,
              ", ".join(sorted(names))),
        Check("requirements.txt has no local paths", not any(
            r.startswith(("-e", ".", "/", "file:")) or " @ " in r for r in reqs)),
        Check(".gitattributes stores binaries through LFS", not no_lfs,
              "missing " + ", ".join(no_lfs) if no_lfs else ", ".join(LFS_PATTERNS)),
        Check("model weights are included", any(f.endswith(".safetensors") for f in plan.files)),
    ]
    return plan


def plan_static(site: Path) -> Plan:
    from playground.static.folder import SIZE_BUDGET
    files = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    plan = Plan("static", site, files)
    plan.checks = common_checks(plan) + [
        Check("index.html at the root", "index.html" in files),
        Check(f"folder within {SIZE_BUDGET / 1e6:.0f} MB", plan.size() <= SIZE_BUDGET,
              f"{plan.size() / 1e6:.2f} MB"),
    ]
    return plan


def upload(plan: Plan, space: str, token: str | None = None) -> str:
    """Create the Space if needed and upload the plan's files: the Space's URL."""
    from huggingface_hub import HfApi
    api = HfApi(token=token)
    api.create_repo(space, repo_type="space", space_sdk=plan.sdk, exist_ok=True)
    api.upload_folder(folder_path=str(plan.folder), repo_id=space, repo_type="space",
                      allow_patterns=plan.files, commit_message="Publish the Latent Space Playground")
    return f"https://huggingface.co/spaces/{space}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m playground.publish", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--space", required=True, help="USER/NAME of the Space (created if missing)")
    ap.add_argument("--static", action="store_true", help="publish the static build instead")
    ap.add_argument("--site", type=Path, help="with --static: an existing build to publish")
    ap.add_argument("--dry-run", action="store_true", help="check and list, upload nothing")
    args = ap.parse_args(argv)
    if not SPACE_ID.match(args.space):
        print(f"--space must be USER/NAME (letters, digits, '-', '_', '.'), got {args.space[:100]!r}",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="publish-") as tmp:
        if args.static:
            site = args.site
            if site is None:
                from playground.static import build
                site = Path(tmp) / "site"
                build(site, log=lambda *a: None)
            plan = plan_static(site)
        else:
            plan = plan_app()
        print(plan.text())
        if args.dry_run:
            print("\n".join(["would upload:", *(f"  {f}" for f in plan.files)]))
            return 0 if plan.ok else 1
        if not plan.ok:
            print("not uploaded: fix the failed checks first", file=sys.stderr)
            return 1
        print(f"uploaded: {upload(plan, args.space)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
