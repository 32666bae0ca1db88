"""The package's house plan: lessons in dlcourse, the tools in dlcourse.tools, no arrow from a tool to a lesson, no
import circle (imports inside functions count) and no private name imported from another module."""
import ast, re, shutil
import pytest
from course import ROOT

PKG = ROOT/'lib'/'dlcourse'


def modules(folder, pkg=PKG) -> dict:
    "{dotted module name: its parsed source} for the Python files of `folder` in package `pkg` (nbdev's index left out)"
    res = {}
    for f in sorted(folder.glob('*.py')):
        if f.name in ('__init__.py', '_modidx.py'): continue
        name = '.'.join(('dlcourse',) + f.relative_to(pkg).with_suffix('').parts)
        res[name] = ast.parse(f.read_text())
    return res


def _base(node, name) -> str:
    "The module an `ImportFrom` node of module `name` imports from, relative imports resolved"
    if not node.level: return node.module or ''
    parts = name.split('.')[:-node.level]
    return '.'.join(parts + ([node.module] if node.module else []))


def imported(tree, name) -> set:
    "The dlcourse modules that module `name` imports, anywhere in it (inside functions too), relative imports resolved"
    res = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _base(node, name)
            res |= {base} | {f'{base}.{a.name}' for a in node.names}
        elif isinstance(node, ast.Import): res |= {a.name for a in node.names}
    return {m for m in res if m.startswith('dlcourse.')}


def import_graph(pkg=PKG) -> dict:
    "{module: the package's modules it imports} for every module of the package at `pkg`, lessons and tools"
    mods = {**modules(pkg, pkg), **modules(pkg/'tools', pkg)}
    return {m: sorted(imported(tree, m) & set(mods)) for m, tree in mods.items()}


def circles(graph) -> list:
    "Each import circle of `graph`, as the modules around it, first one again at the end"
    res, state = [], {}
    def visit(m, path):
        state[m] = 'open'
        for n in graph[m]:
            if state.get(n) == 'open': res.append(path[path.index(n):] + [n])
            elif n not in state: visit(n, path + [n])
        state[m] = 'done'
    for m in sorted(graph):
        if m not in state: visit(m, [m])
    return res


def private_imports(pkg=PKG) -> list:
    "'module: name from other' for each leading-underscore name a module imports from another dlcourse module"
    mods = {**modules(pkg, pkg), **modules(pkg/'tools', pkg)}
    return [f"{m}: {a.name} from {_base(node, m)}" for m, tree in mods.items() for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and _base(node, m).startswith('dlcourse')
            for a in node.names if a.name.startswith('_')]


def assert_no_circle(pkg=PKG):
    "Fail, naming each circle, where the package at `pkg` has an import circle"
    found = circles(import_graph(pkg))
    assert not found, 'import circles: ' + '; '.join(' → '.join(c) for c in found)


def test_lessons_and_tools_live_in_their_own_folders():
    "Every lesson notebook exports to a top-level module, every tools notebook to dlcourse.tools"
    lessons, tools = modules(PKG), modules(PKG/'tools')
    assert set(lessons) == {'dlcourse.neural_net_basics', 'dlcourse.training', 'dlcourse.which_image_models',
                            'dlcourse.spreadsheet_model', 'dlcourse.nlp'}, sorted(lessons)
    assert {f'dlcourse.tools.{p.stem}' for p in (ROOT/'nbs'/'tools').glob('*.ipynb')} == set(tools)


def test_no_tool_imports_a_lesson():
    "Where a tool needs what a lesson teaches, the lesson passes it in: no arrow from dlcourse.tools to a lesson module"
    lessons = set(modules(PKG))
    arrows = [(t, m) for t, tree in modules(PKG/'tools').items() for m in imported(tree, t) if m in lessons]
    assert not arrows, arrows


def test_the_package_ships_no_test_harness():
    "JupyterLab driving, starting and stopping servers, fake PNG headers: in tests/, not in the package"
    trees = {**modules(PKG), **modules(PKG/'tools')}.values()
    defined = {n.name for tree in trees for n in tree.body if hasattr(n, 'name')}
    harness = defined & {'jupyterlab', 'open_notebook', 'run_all', 'wait_idle', 'serve', 'stop', 'png_header'}
    assert not harness, harness


def test_no_import_circle():
    "The modules form layers: following imports from any module, inside functions too, never leads back to it"
    assert_no_circle()
    assert len(import_graph()) > 25   # every module was read


def test_a_planted_circle_is_named(tmp_path):
    "A copy of the package with one import inside a function that closes a circle fails, the circle named"
    pkg = shutil.copytree(PKG, tmp_path/'dlcourse')
    with open(pkg/'tools'/'compare.py', 'a') as f: f.write('\ndef _planted():\n    from .report import report_html\n')
    with pytest.raises(AssertionError, match='dlcourse.tools.compare → dlcourse.tools.report → dlcourse.tools.compare'):
        assert_no_circle(pkg)


def test_no_private_name_crosses_modules():
    "A module uses another's public names only: no `from dlcourse... import _name`"
    assert not private_imports(), private_imports()


def map_layers() -> dict:
    "{tool module: its layer's number} from the map of the tools in CONTRIBUTING.md"
    text = (ROOT/'CONTRIBUTING.md').read_text(encoding='utf-8')
    section = text.split('## The tools, in layers', 1)[1].split('\n#', 1)[0]
    res, layer = {}, 0
    for line in section.splitlines():
        if re.match(r'\d+\. ', line): layer = int(line.split('.')[0])
        elif m := re.match(r'\s+- `(\w+)`: ', line):
            assert m.group(1) not in res, f"CONTRIBUTING.md: {m.group(1)} is in the map twice"
            res[m.group(1)] = layer
    return res


def test_the_map_holds_every_tool_and_its_layers_hold():
    "Each tool is in CONTRIBUTING.md's map once, and imports only from its own layer or the layers above"
    layers, graph = map_layers(), import_graph()
    tools = {m.rsplit('.', 1)[1] for m in graph if m.startswith('dlcourse.tools.')}
    assert set(layers) == tools, f"not in the map: {tools - set(layers)}; not a tool: {set(layers) - tools}"
    up = [f"{a} ({layers[a]}) imports {b} ({layers[b]})" for m, deps in graph.items() if m.startswith('dlcourse.tools.')
          for a in [m.rsplit('.', 1)[1]] for b in (d.rsplit('.', 1)[1] for d in deps) if layers[b] > layers[a]]
    assert not up, up


def test_module_imports_stand_at_the_top():
    "A module's imports come before its first function or class (imports inside functions say why in a comment)"
    late = [f"{m}:{n.lineno}" for m, tree in {**modules(PKG), **modules(PKG/'tools')}.items()
            for i, n in enumerate(tree.body) if isinstance(n, (ast.Import, ast.ImportFrom))
            and any(isinstance(d, (ast.FunctionDef, ast.ClassDef)) for d in tree.body[:i])]
    assert not late, late
