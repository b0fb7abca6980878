import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.bench import CHROMIUM_ARGS, Server  # noqa: E402  (one list of flags for tests and bench)


@pytest.fixture(scope="session")
def backend():
    from playground.backend import Backend
    return Backend()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The real app: `python app.py` in its own process on a free localhost port, as a user runs it,
    launched once per session and shared by the API, MCP, fuzz and browser tests (MCP on: it only
    adds routes). In-process, Playwright's sync driver and the server would share one GIL: a
    PixelCNN stream of ~6,000 small torch ops then crawls, each op waiting for the GIL switch
    interval. No UMAP warm-up: its ~75 s numba compile would burn test CPU. Classroom rooms go to
    a database of this session, not the checkout's data/."""
    db = tmp_path_factory.mktemp("classroom") / "rooms.db"
    server = Server(env={"LATENT_PLAYGROUND_WARMUP": "0", "PLAYGROUND_MCP": "1",
                         "PLAYGROUND_DB": str(db)})
    server.db = db  # a second process on the same rooms: tests/test_classroom_api.py
    yield server
    server.close()


class Replica:
    """A second `python app.py` on the session app's rooms database (`server`; `restart()` puts a
    fresh process in its place)."""

    def __init__(self, env: dict):
        self.env, self.server = env, Server(env=env)

    def restart(self) -> None:
        self.server.close()
        self.server = Server(env=self.env)


@pytest.fixture(scope="session")
def second_app(app_server):
    """Another app process on the session app's rooms, its queue one event long
    (PLAYGROUND_QUEUE_SIZE=1): a load balancer's other replica for the classroom tests (their
    routes are plain HTTP, outside the queue) and a server whose queue fills at once for the busy
    tests. One launch for both: each costs ~10 s of the suite."""
    replica = Replica({"LATENT_PLAYGROUND_WARMUP": "0", "PLAYGROUND_DB": str(app_server.db),
                       "PLAYGROUND_QUEUE_SIZE": "1"})
    yield replica
    replica.server.close()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server (tests/postgres.py) for this session, on a unix socket only;
    `postgres.new_database()` gives a fresh database's SQLAlchemy URL. Stopped and removed at the
    end. Fails, never skips, without PostgreSQL: multi-process rooms are what it tests."""
    from tests.postgres import Cluster, bindir
    found = bindir()
    if found is None:
        pytest.fail("PostgreSQL is not installed (no initdb/pg_ctl/postgres in pg_config --bindir "
                    "or /usr/lib/postgresql/*/bin): run the README's test command (make test), "
                    "which installs it")
    cluster = Cluster(found)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def app_url(app_server):
    return app_server.url


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    """A pretrained/ root with a tiny random-weight model of every recipe (tests/factories.py),
    built once per session, for tests that need a Backend over models they may change."""
    from tests.factories import tiny_root as build
    return build(tmp_path_factory.mktemp("pretrained"))


# pytest-playwright: drive Debian's Chromium; Playwright never downloads a browser here.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: run the README's test command (make test)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(items):
    """Journeys in a real browser get one rerun: on 2 shared cores a stream can stall past a
    timeout. API, unit and fuzz tests get none."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=1))


@pytest.fixture(scope="session")
def static_site(tmp_path_factory):
    """The static folder of the shipped models (python -m playground.static), built once per
    session for test_static.py and test_browser_static.py: (folder, report)."""
    from playground.static import build
    out = tmp_path_factory.mktemp("static") / "site"
    return out, build(out, log=lambda *a: None)

