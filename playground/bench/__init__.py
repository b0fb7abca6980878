"""The benchmark (python -m playground.bench): what it measures is in report.py's docstring."""
from playground.bench.browser import (CHROMIUM_ARGS, FORCE_SERVER_JS, bench_browser,  # noqa: F401
                                      in_page_models)
from playground.bench.clients import (bench_concurrent, playground_calls,  # noqa: F401
                                      reference_app, reference_calls)
from playground.bench.report import main, table  # noqa: F401
from playground.bench.server import (ROOT, Server, bench_decode, bench_samplers,  # noqa: F401
                                     free_port, load_every_model, pct, rss_mb, summary)
