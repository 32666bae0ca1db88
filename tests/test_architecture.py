"The package's house plan: lessons in dlcourse, the tools in dlcourse.tools, and no arrow from a tool to a lesson."
import ast
from pathlib import Path
from helpers import ROOT

PKG = ROOT/'lib'/'dlcourse'


def modules(folder) -> dict:
    "{dotted module name: its parsed source} for the Python files of `folder` (nbdev's index left out)"
    res = {}
    for f in sorted(folder.glob('*.py')):
        if f.name in ('__init__.py', '_modidx.py'): continue
        name = '.'.join(f.relative_to(PKG.parent).with_suffix('').parts)
        res[name] = ast.parse(f.read_text())
    return res


def imported(tree, name) -> set:
    "The dlcourse modules that module `name` imports, relative imports resolved"
    pkg, res = name.rsplit('.', 1)[0], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = pkg.split('.')
                base = '.'.join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            res |= {base} | {f'{base}.{a.name}' for a in node.names}
        elif isinstance(node, ast.Import): res |= {a.name for a in node.names}
    return {m for m in res if m.startswith('dlcourse.')}


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
    "JupyterLab driving, starting and stopping servers, fake PNG headers: in tests/helpers.py, not in the package"
    trees = {**modules(PKG), **modules(PKG/'tools')}.values()
    defined = {n.name for tree in trees for n in tree.body if hasattr(n, 'name')}
    harness = defined & {'jupyterlab', 'open_notebook', 'run_all', 'wait_idle', 'serve', 'stop', 'png_header'}
    assert not harness, harness
