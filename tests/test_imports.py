"""Layers point one way: no import cycle among playground modules (imports inside functions count
too), and the pure modules import nothing from the services or the UI."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "playground"
PURE = ("playground.projection", "playground.webdecoder", "playground.webrun",
        "playground.webgpt", "playground.metrics", "playground.sampling", "playground.errors",
        "playground.lru", "playground.files", "playground.data", "playground.base",
        "playground.view")
SERVICES = ("playground.backend", "playground.store", "playground.inference", "playground.maps",
            "playground.sliders", "playground.tools", "playground.evaluate", "playground.ui")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                if node.level:  # relative import
                    pkg = name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                    base = ".".join([*pkg, node.module])
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            edges[name] |= {t for t in targets if t in modules and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize("pure", PURE)
def test_pure_modules_import_no_service(pure):
    edges = graph()
    seen, todo = set(), [pure]
    while todo:  # everything the pure module pulls in, directly or not
        m = todo.pop()
        for t in edges.get(m, ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    bad = sorted(t for t in seen if t.startswith(SERVICES))
    assert not bad, f"{pure} imports services: {bad}"


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def top_level_imports(path: Path) -> set[str]:
    """Modules a file imports when it is imported: statements at module level (inside `try` and
    `if` too, but not under `if TYPE_CHECKING`), not those inside functions."""
    found: set[str] = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body), visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body), visit(node.orelse), visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)
    visit(ast.parse(path.read_text()).body)
    return found


def test_starting_the_app_does_not_import_umap():
    """UMAP (and numba's ~75 s compile) load only when a map is refitted: nothing that `app.py`
    imports at start-up imports it. A package that imports its modules by walking itself (the
    model registry) counts as importing all of them."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")} | {"app": ROOT / "app.py"}
    seen, todo = {"app"}, ["app"]
    while todo:
        name = todo.pop()
        path = modules[name]
        targets = top_level_imports(path)
        if "pkgutil" in targets:                                   # imports every submodule
            targets |= {m for m in modules if m.startswith(name + ".")}
        parents = {".".join(t.split(".")[:i]) for t in targets for i in range(1, t.count(".") + 2)}
        assert "umap" not in {t.split(".")[0] for t in targets}, f"{name} imports umap at start-up"
        for t in sorted((targets | parents) & set(modules) - seen):
            seen.add(t)
            todo.append(t)
    assert "playground.projection" in seen and "playground.models.ddpm" in seen, "the walk is whole"
