"""How much code each lesson shows a learner (tests/test_sync.py holds the limits).
For each lesson notebook (nbs/NN_*.ipynb): code lines a learner sees (outside `#| hide` cells; blank and nbdev directive
lines not counted), the longest such cell, and the code lines of its clean copy (clean/NN_*.ipynb).
Run: .venv/bin/python bench/lesson_lines.py"""
from pathlib import Path
from dlcourse.tools.notebook import code_lines, lesson_notebooks, load_nb

ROOT = Path(__file__).resolve().parents[1]


def visible_cells(nb_path):
    "Code lines per code cell a learner sees in the notebook at `nb_path` (cells marked `#| hide` left out)"
    return [code_lines(c) for c in load_nb(nb_path).cells if c.cell_type == 'code' and 'hide' not in c.directives]


if __name__ == '__main__':
    print(f"{'notebook':<28}{'visible lines':>14}{'longest cell':>14}{'clean copy':>12}")
    for nb in lesson_notebooks(ROOT/'nbs'):
        cells = visible_cells(nb)
        clean = ROOT/'clean'/nb.name
        cl = sum(visible_cells(clean)) if clean.exists() else float('nan')
        print(f"{nb.stem:<28}{sum(cells):>14}{max(cells):>14}{cl:>12}")
