"""How long the teacher's class page takes to build for 30 learners and the course's 6 lessons.
Each learner's clean copies hold the lesson's own outputs (bench/check_report.py's `filled`) and the exercises written
as the lesson writes them, as a class would leave them, in four kinds: run whole; one cell showing another cell's
picture (another for each such learner); the first half run; never opened (no file). One learner's lesson 2 is corrupt
and another's lesson 3 over the page's size limit. The page reads every saved notebook against the lesson (never
running a learner's code), as its service does on each request: `class_table`, then `page_html` and `table_csv`; the
first time in this process (nothing read yet), then best and median of 4 more (the lessons, their pictures and texts
already read). Target: at most 2 s.
Run: .venv/bin/python bench/class_page.py"""
import statistics, sys, tempfile, time
from collections import Counter
import nbformat
from check_report import ROOT, course_copy, filled
from dlcourse.tools.classpage import MAX_BYTES, class_table, page_html, table_csv
from dlcourse.tools.classroom import Classroom
from dlcourse.tools.notebook import lesson_notebooks, load_nb, save_nb

sys.path.insert(0, str(ROOT/'tests'))
from course import solve   # noqa: E402  (the tests' learner, who writes the exercises as the lesson does)

LEARNERS, KINDS = 30, ('same', 'planted', 'half', 'absent')


def half_run(path, dest):
    "The notebook at `path` saved to `dest` with the outputs of its second half taken away (a learner half-way)"
    nb = load_nb(path)
    code = [c for c in nb.cells if c.cell_type == 'code']
    for c in code[len(code) // 2:]: c.outputs, c.execution_count = [], None
    save_nb(nb, dest)


def written(course, name, picture=None) -> bytes:
    """A learner's saved clean copy of lesson `name`: the lesson's outputs, its exercises written as the lesson does;
    with `picture`, the learning-rate cell shows that picture of the lesson instead of its own"""
    nb = nbformat.read(filled(course, name), as_version=4)
    if picture: next(c for c in nb.cells if c.source.startswith('lrs = [')).outputs = picture
    return nbformat.writes(solve(nb, nbformat.read(course/'nbs'/name, as_version=4).cells)).encode()


def pictures(lesson) -> list:
    "The outputs of each cell of `lesson` that drew a picture"
    return [c.outputs for c in load_nb(lesson).cells
            if c.cell_type == 'code' and any('image/png' in o.get('data', {}) for o in c.outputs)]


def class_folders(course, lessons) -> dict:
    "{learner: the folder of their saved clean copies}, the learners cycling through the kinds of a class"
    same, drawn = {n: written(course, n) for n in lessons}, pictures(course/'nbs'/lessons[0])
    folders = {}
    for i in range(LEARNERS):
        u, kind = f'learner{i:02d}', KINDS[i % len(KINDS)]
        d = folders[u] = course/'homes'/u
        d.mkdir(parents=True)
        for j, n in enumerate(lessons):
            if kind == 'absent' and j >= i % len(lessons): continue
            planted = kind == 'planted' and j == 0
            (d/n).write_bytes(written(course, n, drawn[i % len(drawn)]) if planted else same[n])
            if kind == 'half' and j == i % len(lessons): half_run(d/n, d/n)
    (folders['learner01']/lessons[1]).write_text('{"cells": [')
    (folders['learner02']/lessons[2]).write_bytes(b' ' * (MAX_BYTES + 1))
    return folders


if __name__ == '__main__':
    with tempfile.TemporaryDirectory() as d:
        course = course_copy(d)
        lessons = [p.name for p in lesson_notebooks(course/'nbs')]
        folders = class_folders(course, lessons)
        cl = Classroom('bench', list(folders), str(course), d)
        secs = []
        for _ in range(5):
            t = time.perf_counter()
            table = class_table(cl, folders)
            page, csv = page_html(cl, table), table_csv(table)
            secs.append(time.perf_counter() - t)
        kinds = Counter(s.kind for t in table.values() for s in t.values())
        size = sum(p.stat().st_size for p in (course/'homes').rglob('*.ipynb'))
        print(f"class page for {len(folders)} learners x {len(lessons)} lessons ({size / 2**20:.0f} MiB of saved "
              f"notebooks): first {secs[0]:.2f} s, then best {min(secs[1:]):.2f} s, median "
              f"{statistics.median(secs[1:]):.2f} s (target 2 s)")
        print('  cells: ' + ', '.join(f'{k} {n}' for k, n in kinds.most_common()))
        print(f"  page {len(page) / 1024:.0f} KiB, CSV {len(csv.splitlines()) - 1} rows")
