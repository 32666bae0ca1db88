"""How much code each lesson shows a learner (tests/test_sync.py holds the limits).
For each lesson notebook (nbs/NN_*.ipynb): code lines a learner sees (outside `#| hide` cells; blank and nbdev
directive lines not counted), the longest such cell, the code lines of its clean copy (clean/NN_*.ipynb), and the names
its visible cells import from the course's package (`from dlcourse... import`).
Run: .venv/bin/python bench/lesson_lines.py"""
import re
from pathlib import Path
from dlcourse.tools.notebook import code, code_lines, lesson_notebooks, load_nb

ROOT = Path(__file__).resolve().parents[1]


def visible_cells(nb_path):
    "Code lines per code cell a learner sees in the notebook at `nb_path` (cells marked `#| hide` left out)"
    return [code_lines(c) for c in load_nb(nb_path).cells if c.cell_type == 'code' and 'hide' not in c.directives]


def course_names(nb_path) -> list:
    "The names the visible code cells of the notebook at `nb_path` import from `dlcourse`"
    srcs = [code(c) for c in load_nb(nb_path).cells if c.cell_type == 'code' and 'hide' not in c.directives]
    return [n.strip() for s in srcs for m in re.finditer(r'^from dlcourse\S* import (.+)$', s, flags=re.M)
            for n in m.group(1).split(',')]


if __name__ == '__main__':
    print(f"{'notebook':<28}{'visible lines':>14}{'longest cell':>14}{'clean copy':>12}{'dlcourse names':>16}")
    for nb in lesson_notebooks(ROOT/'nbs'):
        cells = visible_cells(nb)
        clean = ROOT/'clean'/nb.name
        cl = sum(visible_cells(clean)) if clean.exists() else float('nan')
        print(f"{nb.stem:<28}{sum(cells):>14}{max(cells):>14}{cl:>12}{len(course_names(nb)):>16}")
