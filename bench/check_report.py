"""How long `check()` takes to report on a lesson, and what `dlcourse-check --html` writes.
A clean copy of lesson 1 filled with the lesson's saved outputs (so every cell is the lesson's run), then the same with
one planted difference (the learning-rate plot shows another cell's picture, so one row opens with its three pictures):
`check()` on each, as in JupyterLab's last cell (the HTML report built, the kernel's display left out): the first
call, then best and median of 6 more (the lesson and its pictures already read, as when a learner checks again).
Then `dlcourse-check --html` on clean lesson 2 filled the same way, as a command: its time and the page's size.
Target: check() on lesson 1 in at most 2 s.
Run: .venv/bin/python bench/check_report.py"""
import io, shutil, statistics, subprocess, sys, tempfile, time
from contextlib import redirect_stdout
from pathlib import Path
from dlcourse.tools.check import check
from dlcourse.tools.notebook import load_nb, save_nb

ROOT = Path(__file__).resolve().parents[1]
L1, L2 = '01_neural_net_basics.ipynb', '02_training.ipynb'


def course_copy(folder) -> Path:
    "A copy of the course's lessons, clean copies and settings in `folder`"
    course = Path(folder)
    for f in ('nbs', 'clean'): shutil.copytree(ROOT/f, course/f)
    for f in ('pyproject.toml', 'settings.ini'): shutil.copy(ROOT/f, course)
    return course


def filled(course, name, plant=False):
    "The clean copy of lesson `name` in `course`, with each cell's outputs as the lesson saved them"
    saved = {c.id: c.outputs for c in load_nb(course/'nbs'/name).cells if c.cell_type == 'code'}
    nb = load_nb(course/'clean'/name)
    for c in nb.cells:
        if c.get('id') in saved: c.outputs = saved[c.id]
    if plant:
        code = [c for c in nb.cells if c.cell_type == 'code']
        lr = next(c for c in code if c.source.startswith('lrs = ['))
        lr.outputs = next(c for c in code if c.source.startswith('plot_function(f2)')).outputs
    save_nb(nb, course/'clean'/name)
    return course/'clean'/name


def timed(path, n=7):
    "Seconds each of `n` calls of check() on `path` took"
    res = []
    for _ in range(n):
        t = time.perf_counter()
        with redirect_stdout(io.StringIO()): check(str(path))
        res.append(time.perf_counter() - t)
    return res


if __name__ == '__main__':
    with tempfile.TemporaryDirectory() as d:
        course = course_copy(d)
        print("check() on clean lesson 1 with the lesson's outputs (the first call; then best, median of 6 more):")
        for plant in (False, True):
            secs = timed(filled(course, L1, plant))
            what = 'one planted difference' if plant else 'every cell the same   '
            print(f"  {what}  {secs[0]:.2f} s; {min(secs[1:]):.3f} s, {statistics.median(secs[1:]):.3f} s")
        page = course/'report.html'
        t = time.perf_counter()
        r = subprocess.run([str(Path(sys.executable).parent/'dlcourse-check'), str(filled(course, L2)), '--html',
                            str(page)], capture_output=True, text=True)
        secs = time.perf_counter() - t
        print(f"dlcourse-check --html on clean lesson 2: exit {r.returncode}, {secs:.1f} s as a command, "
              f"page {page.stat().st_size / 1024:.0f} KiB")
        print('  ' + r.stdout.strip().splitlines()[-1])
