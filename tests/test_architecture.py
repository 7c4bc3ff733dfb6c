"""The layout: no import cycles, arrows one way, `import privtag` light, old names kept.

The import graph is read from the source with ``ast`` (every import, including those
inside functions; ``if TYPE_CHECKING:`` blocks are not imports at run time), so a
cycle or an upward import fails here before it bites at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from privtag._compat import ALIASES

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC.parent
#: The pipeline, bottom up: a package may import only packages at or below its level.
LAYERS = {"segmentation": 0, "data": 1, "inference": 2, "training": 3, "evaluation": 4}
#: Shared by every layer; they import only each other.
BASE = {"errors", "labels", "outputs", "extras", "_compat"}
#: Deliberate exceptions, each a function-level import: training scores with the one F1,
#: and an ensemble teacher may hold the TF-IDF model; ``TaggedPolicy.to_html`` renders
#: through the one HTML renderer (which imports only ``labels``, so no cycle follows).
ALLOWED_UP = {
    ("training", "privtag.evaluation.metrics"),
    ("training", "privtag.evaluation.baselines"),
    ("inference", "privtag.render"),
}


def _allowed_up(layer: str) -> list[str]:
    return [t for lay, t in ALLOWED_UP if lay == layer]


#: Third-party packages a layer must not import.
FORBIDDEN = {
    "segmentation": {"torch", "transformers", "datasets"},
    "data": {"torch", "transformers"},
    "inference": {"datasets"},
    "base": {"torch", "transformers", "datasets", "numpy"},
}
HEAVY = ("torch", "transformers", "datasets")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "privtag").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def _resolve(name: str) -> str:
    return ALIASES.get(name, name)


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """(privtag modules, third-party top-level packages) that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    ours, theirs = set(), set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            base = _resolve(node.module)
            names = [
                f"{base}.{a.name}" if _resolve(f"{base}.{a.name}") in MODULES else base
                for a in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "privtag":
                ours.add(_resolve(name))
            else:
                theirs.add(name.split(".")[0])
    return ours, theirs


GRAPH = {m: imports_of(p) for m, p in MODULES.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    if len(parts) == 2 and parts[1] in BASE:
        return "base"
    return None  # the package root and the apps (cli, serve, batch, render ...)


def test_the_graph_sees_the_modules():
    assert "privtag.segmentation.document" in MODULES and "privtag.cli" in MODULES
    ours, theirs = GRAPH["privtag.inference.tagger"]
    assert "privtag.segmentation.units" in ours and "torch" in theirs


def _with_parents(name: str, importer: str) -> set[str]:
    # importing privtag.cli.options runs privtag/cli/__init__.py first: an edge too, unless
    # that package is the importer's own (Python has started it before the importer)
    parts = name.split(".")
    parents = {".".join(parts[:i]) for i in range(2, len(parts))}
    return {name} | {p for p in parents if not importer.startswith(p + ".")}


def test_no_import_cycles():
    graph = {
        m: {p for n in GRAPH[m][0] for p in _with_parents(n, m) if p in MODULES and p != m}
        for m in MODULES
    }
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
                cycles.append(sorted(comp))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    assert not cycles, f"import cycles: {cycles}"


def test_arrows_point_one_way():
    bad = []
    for module, (ours, theirs) in GRAPH.items():
        layer = _layer(module)
        if layer is None:
            continue
        for target in ours:
            t = _layer(target)
            # the package root is the light facade (``privtag.__version__``)
            if target in ("privtag", *_allowed_up(layer)) or t == "base":
                continue
            if target not in MODULES:
                continue
            if layer == "base" or t is None or LAYERS[t] > LAYERS[layer]:
                bad.append(f"{module} imports {target}")
        bad += [f"{module} imports {p}" for p in theirs & FORBIDDEN.get(layer, set())]
    assert not bad, "upward or forbidden imports:\n" + "\n".join(sorted(bad))


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_import_privtag_stays_light():
    code = (
        "import sys, privtag, privtag.segmentation, privtag.data.annotations, privtag.cli\n"
        f"print(sorted(set({HEAVY!r}) & set(sys.modules)))"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_old_module_names_still_work_with_a_warning():
    code = """
import warnings
import privtag
from privtag.errors import MovedModuleWarning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("default")  # what Python shows with no filter set
    import privtag.readers
print("warned:", caught[0].message, caught[0].category.__name__, caught[0].filename)
warnings.simplefilter("ignore", MovedModuleWarning)
import sys
from privtag.segment import Document
from privtag.segmentation import document
import privtag.annotations, privtag.data.annotations
print(Document is document.Document, callable(privtag.segment))
print(sys.modules["privtag.annotations"] is sys.modules["privtag.data.annotations"])
print(sys.modules["privtag.data.annotations"].__spec__.name)
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "privtag.readers moved to privtag.segmentation.readers" in lines[0]
    # a FutureWarning at the user's own import line (a DeprecationWarning there was hidden)
    assert lines[0].endswith("MovedModuleWarning <string>")
    assert lines[1:] == ["True True", "True", "privtag.data.annotations"]


def test_every_alias_names_a_module():
    assert all(new in MODULES for new in ALIASES.values())
    assert not set(ALIASES) & set(MODULES)


def test_a_missing_extra_is_one_line_and_the_core_still_works():
    code = """
import sys
for name in ("datasets", "sklearn", "evaluate", "accelerate", "matplotlib", "pandas"):
    sys.modules[name] = None  # as if not installed
import privtag.inference.tagger
from privtag.cli import main
from privtag.errors import MissingExtraError
try:
    import privtag.data.records
except MissingExtraError as e:
    print(e)
sys.argv = ["privtag", "validate", "data/annotations"]
try:
    main()
except SystemExit as e:
    print("validate exit", e.code)
sys.argv = ["privtag", "evaluate", "--model", "rules", "--data", "data/annotations", "--chart", "x.png"]
try:
    main()
except SystemExit as e:
    print("evaluate exit", e.code)
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "datasets is not installed; this needs privtag's 'train' extra: "
        "pip install 'privtag[train]'"
    )
    assert lines[-2] == "validate exit 0"
    # an evaluation command names the extra it is documented to need, before any work
    assert lines[-1] == "evaluate exit 2"
    assert r.stderr.strip().splitlines()[-1] == (
        "privtag: error: datasets is not installed; this needs privtag's 'eval' extra: "
        "pip install 'privtag[eval]'"
    )


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_every_package_says_what_it_owns(package):
    doc = ast.get_docstring(ast.parse((SRC / "privtag" / package / "__init__.py").read_text()))
    assert doc and "owns" in doc


def test_the_eval_extra_check_up_front_imports_no_torch():
    # it runs before every evaluate, benchmark and data-report: finding the packages must
    # not import them (evaluate imports transformers and torch, seconds of start-up)
    code = """
import sys
from privtag.cli.options import require_eval_extra
require_eval_extra()
print(sorted(m for m in ("torch", "transformers", "evaluate", "datasets") if m in sys.modules))
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_an_old_module_keeps_the_names_that_moved_out_of_it():
    code = """
import warnings
warnings.simplefilter("ignore")
from privtag.model import COMPACT_FILE, PrivtagClassifier, load_model, weights_hash
from privtag.inference import weights
print(load_model is weights.load_model, weights_hash is weights.weights_hash, COMPACT_FILE)
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "compact.safetensors"]


def test_the_opp115_reader_keeps_its_old_paths():
    code = """
import warnings
warnings.simplefilter("error")
from privtag.segmentation.opp115_html import read_opp115
try:
    from privtag.segmentation.markup import read_opp115 as old
except FutureWarning as w:
    print("warned:", "opp115_html" in str(w))
warnings.simplefilter("ignore")
from privtag.segmentation.markup import read_opp115 as old
from privtag.markup import read_opp115 as older
print(old is read_opp115, older is read_opp115)
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["warned:", "True", "True", "True"]
