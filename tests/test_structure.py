"""The layout rules of the pipeline: the core never imports the compatibility layer, and the
orchestrator stays a list of stage calls."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "inconcert"


def _imports(path: Path) -> set[str]:
    """Every module an import statement of ``path`` names (relative ones with their dots)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_the_core_never_imports_compat() -> None:
    """Only the package root wires the compatibility layer in (it registers its pipeline)."""
    core = [
        p
        for p in SRC.rglob("*.py")
        if "compat" not in p.relative_to(SRC).parts and p != SRC / "__init__.py"
    ]
    assert len(core) > 20
    for path in core:
        bad = {i for i in _imports(path) if "compat" in i.replace(".", " ").split()}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_stages_read_only_relations_they_are_given() -> None:
    """Every relation name a stage module spells is one it creates itself (its output or a
    scratch table): what it reads of other stages comes in a :class:`Relations`."""
    for path in (SRC / "stages").glob("*.py"):
        if path.name in ("relations.py", "__init__.py"):
            continue
        text = path.read_text(encoding="utf-8")
        spelled = set(re.findall(r'"(ic_\w+)"', text))
        created = set(re.findall(r'(?:create|load|attach_parquet)\(\s*"(ic_\w+)"', text))
        created |= set(re.findall(r'\w+ = "(ic_\w+)"', text))
        assert spelled <= created, f"{path.name} reads {spelled - created} by name"


def test_detect_actions_is_a_short_orchestrator() -> None:
    """The orchestrator reads in one sitting: a list of stage calls, no SQL of its own."""
    tree = ast.parse((SRC / "detect.py").read_text(encoding="utf-8"))
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "detect_actions"]
    assert fn.end_lineno is not None and fn.end_lineno - fn.lineno < 90
    source = ast.get_source_segment((SRC / "detect.py").read_text(encoding="utf-8"), fn) or ""
    assert "SELECT" not in source


def test_no_module_imports_the_package_root() -> None:
    """Modules take what they need from its own module (the version from package metadata,
    :mod:`inconcert._version`), never from ``inconcert/__init__``: arrows run one way."""
    for path in SRC.rglob("*.py"):
        if path == SRC / "__init__.py":
            continue
        depth = len(path.relative_to(SRC).parts)  # 1 for inconcert/x.py, 2 for a subpackage
        root = "." * depth
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == depth and not node.module:
                names = {a.name for a in node.names}
                assert not names - {"compat", "plan", "stages"} - _submodules(), (
                    f"{path.relative_to(SRC)} imports {names} from {root}"
                )


def _submodules() -> set[str]:
    return {p.stem for p in SRC.glob("*.py")} | {p.name for p in SRC.iterdir() if p.is_dir()}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name, with its file and whether it is a package."""
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING`` (not ``not TYPE_CHECKING``)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _runtime_imports(path: Path, module: str, package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports when it runs (at its top or in a
    function), resolved to dotted names, each with the packages above it that the import runs
    first (``a.b.c`` runs ``a/b/__init__``), those holding ``module`` aside; what the body of
    an ``if TYPE_CHECKING:`` block imports is left out, since it never runs (its ``else:``
    does). Imports by name at run time (``importlib``) are not seen."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    here = module.split(".") if package else module.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                name = f"{target}.{alias.name}"
                targets.add(name if name in known else target)
        elif isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
    ancestors = {".".join(t.split(".")[:n]) for t in targets for n in range(1, t.count(".") + 1)}
    mine = {".".join(module.split(".")[:n]) for n in range(1, module.count(".") + 2)}
    return ((targets | ancestors) & known) - mine


def test_imports_run_one_way() -> None:
    """No circle of imports among the package's modules (the engines, the writers and the
    report, the stages and the summaries each depend on the module below, never back):
    a module can be read, tested and replaced from the bottom up."""
    modules = _modules()
    graph = {
        m: _runtime_imports(path, m, package, set(modules))
        for m, (path, package) in modules.items()
    }
    assert graph["inconcert.detect"] >= {"inconcert.plan", "inconcert.stages.edges"}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        raise AssertionError("imports run in a circle: " + " -> ".join(err.args[1])) from None
