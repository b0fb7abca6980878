"""python -m playground.publish: the dry runs CI runs (the app and the static folder pass every
check and list what would go up), and what a bad Space id or a failed check does."""
import subprocess
import sys

import pytest

from playground import publish


def run(*args):
    return subprocess.run([sys.executable, "-m", "playground.publish", *args],
                          capture_output=True, text=True, cwd=publish.ROOT, timeout=300)


def test_the_app_dry_run_passes_and_lists_what_the_space_runs():
    r = run("--space", "someone/latent-playground", "--dry-run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout
    listed = [line.strip() for line in r.stdout.splitlines() if line.startswith("  ")]
    assert {"app.py", "requirements.txt", "README.md", ".gitattributes"} <= set(listed)
    assert any(f.startswith("pretrained/") and f.endswith(".safetensors") for f in listed)
    assert not any(f.startswith(("tests/", ".ci/")) for f in listed)


def test_the_static_dry_run_passes(static_site):
    plan = publish.plan_static(static_site[0])
    assert plan.ok, plan.text()
    assert plan.sdk == "static" and "index.html" in plan.files


@pytest.mark.parametrize("space", ["../etc", "noslash", "a/b/c", "user/" + "x" * 200, "-a/b"])
def test_a_bad_space_id_is_refused(space):
    r = run(f"--space={space}", "--dry-run")
    assert r.returncode == 2 and "USER/NAME" in r.stderr


def test_a_failed_check_stops_the_upload(monkeypatch):
    """A README whose front matter names another Gradio: reported, and nothing is uploaded."""
    plan = publish.plan_app()
    monkeypatch.setattr(publish, "front_matter", lambda readme: {"sdk": "gradio", "sdk_version": "1.0"})
    failed = [c.name for c in publish.plan_app().checks if not c.ok]
    assert "sdk_version is the installed Gradio" in failed and plan.ok
    monkeypatch.setattr(publish, "upload", lambda *a: pytest.fail("uploaded despite a failed check"))
    assert publish.main(["--space", "someone/space"]) == 1


@pytest.mark.parametrize("version,ok", [("3.11", True), ("3.12.12", True), ("3.10.13", True),
                                        ("3", False), ("python3.12", False)])
def test_python_version_takes_what_the_readme_tells_a_zerogpu_space(monkeypatch, version, ok):
    """The README's hosting section says to set python_version: "3.12.12" (or "3.10.13") for
    ZeroGPU: the dry run's check accepts those as it accepts the CPU Space's "3.11"."""
    meta = publish.front_matter(publish.ROOT / "README.md")
    monkeypatch.setattr(publish, "front_matter", lambda readme: {**meta, "python_version": version})
    check = next(c for c in publish.plan_app().checks if c.name == "python_version set")
    assert check.ok is ok
