import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.bench import CHROMIUM_ARGS  # noqa: E402  (one list of flags for tests and bench)


@pytest.fixture(scope="session")
def backend():
    from playground.backend import Backend
    return Backend()


@pytest.fixture(scope="session")
def app_url(backend):
    """The real app, launched once on a free localhost port with the hardened settings."""
    from playground.bench import free_port
    from playground.ui import build_demo, launch_kwargs
    demo = build_demo(backend)
    kwargs = launch_kwargs() | {"server_name": "127.0.0.1", "server_port": free_port(),
                                "prevent_thread_lock": True, "quiet": True}
    demo.launch(**kwargs)
    yield demo.local_url.rstrip("/")
    demo.close()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


# pytest-playwright: drive Debian's Chromium; Playwright never downloads a browser here.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: run the README's test command (make test)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}
