"lib/ is what nbs/ exports; clean/ is what dlcourse-clean generates; each clean copy is clean; lines stay short."
import re, shutil, subprocess
from dataclasses import asdict
from pathlib import Path
import pytest
from dlcourse.tools.clean import CHECK_CELL, KEEP_MARK, learner_changed
from dlcourse.tools.exercise import lesson_exercises
from dlcourse.tools.notebook import code, code_lines, lesson_notebooks, load_nb, notebooks, timed
from dlcourse.tools.settings import CourseSettings
from course import ROOT, cmd

LESSONS = lesson_notebooks(ROOT/'nbs')
MAX_LINE = 120


def _files(d, pat):
    return {p.relative_to(d): p.read_bytes() for p in sorted(Path(d).rglob(pat)) if '__pycache__' not in p.parts}


def test_lib_in_sync(repo_copy):
    subprocess.run([cmd('nbdev-export')], cwd=repo_copy, check=True, capture_output=True)
    assert _files(repo_copy/'lib', '*.py') == _files(ROOT/'lib', '*.py'), "lib/ differs from nbs/: run nbdev-export"


def _generated(rel):
    "The copy in the repository, or its committed version where a learner has run or edited it"
    if not learner_changed(ROOT/rel): return (ROOT/rel).read_bytes()
    r = subprocess.run(['git', 'show', f'HEAD:{rel}'], cwd=ROOT, capture_output=True)
    assert r.returncode == 0, f"{rel} has been run or edited, and there is no committed version to compare with"
    return r.stdout


def test_clean_in_sync(repo_copy):
    shutil.rmtree(repo_copy/'clean')
    r = subprocess.run([cmd('dlcourse-clean')], cwd=repo_copy, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    made = _files(repo_copy/'clean', '*.ipynb')
    assert set(made) == {Path(p.name) for p in LESSONS}
    for rel, data in made.items():
        assert data == _generated(f'clean/{rel}'), f"clean/{rel} is stale: run dlcourse-clean"


def _visible(nb):
    "The code cells of `nb` a learner sees: all but the `#| hide` ones"
    return [c for c in nb.cells if c.cell_type == 'code' and 'hide' not in c.directives]


@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_clean_copy_is_clean(lesson):
    src, cl = load_nb(lesson), load_nb(ROOT/'clean'/lesson.name)
    assert cl.cells[0].id == 'dlcourse-exercise' and 'before you run each cell' in cl.cells[0].source
    assert set(cl.metadata) == {'kernelspec', 'dlcourse'}
    for c in cl.cells[1:]:
        assert not c.metadata or c.metadata == {'tags': ['raises-exception']}, c.metadata   # Run All goes on past it
        if c.cell_type == 'code': assert c.outputs == [] and c.execution_count is None
        else: assert KEEP_MARK in c.source or all(re.match(r'#{1,6}\s', l) for l in c.source.splitlines()), c.source
    stubs = {ex.id: ex.stub for ex in lesson_exercises(src)}   # an exercise: the function's first lines and a hint
    want = [(c.id, stubs.get(c.id, code(c))) for c in _visible(src) if code(c).strip()]
    got = [(c.id, c.source) for c in cl.cells if c.cell_type == 'code']
    assert got == want + [('dlcourse-check', CHECK_CELL)]
    assert ('**Write the functions:**' in cl.cells[0].source) == bool(stubs)


# the most code lines a lesson shows (its clean copy may have 10 more): lessons 1 and 5 build their models from scratch,
# lesson 6 shows the Hugging Face steps that fastai hides (tokenizing, datasets, Trainer), the lecture's overfitting
# and correlation pictures, and fine-tunes on sentences beside words, lesson 2 writes its DataBlock out and trains one
# model pretrained and from random weights side by side, lesson 3 charts training beside inference and joins your
# benchmark with timm's tables in pandas, the others show libraries at work
MOST_LINES = {'01_': 160, '02_': 80, '03_': 70, '05_': 160, '06_': 145}


@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_lesson_shows_short_cells(lesson):
    "No visible cell over 12 code lines, and no more lines in all than the lesson's topic needs"
    visible = [code_lines(c) for c in _visible(load_nb(lesson))]
    clean = sum(code_lines(c) for c in load_nb(ROOT/'clean'/lesson.name).cells if c.cell_type == 'code')
    assert max(visible) <= 12, f"a visible cell of {max(visible)} lines"
    most = MOST_LINES.get(lesson.name[:3], 60)
    assert sum(visible) <= most and clean <= most + 10, (sum(visible), clean)


@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_lesson_shows_no_directives_and_collapses_its_tests(lesson):
    "A learner sees no `#|` line: nbdev's directives are in cell metadata, and JupyterLab collapses the `hide` cells"
    nb = load_nb(lesson)
    shown = [c.id for c in nb.cells if c.cell_type == 'code' and re.search(r'^\s*#\|', c.source, flags=re.M)]
    assert not shown, f"{shown}: make export moves their directives to metadata"
    hide = [c for c in nb.cells if c.cell_type == 'code' and 'hide' in c.directives]
    assert hide and 'default_exp' not in ''.join(c.source for c in nb.cells)
    open_ = [c.id for c in hide if not c.metadata.get('jupyter', {}).get('source_hidden')]
    assert not open_, f"{open_}: collapse their input in JupyterLab (click the bar left of the cell)"


def test_lesson_3_tags_what_its_benchmark_prints_timing():
    "Every cell that shows this machine's benchmark (`mine`) is tagged `timing`, which dlcourse-check does not compare"
    cells = [c for c in load_nb(ROOT/'nbs/03_which_image_models.ipynb').cells if c.cell_type == 'code']
    shown = [c for c in cells if re.search(r'\bmine\b', code(c))]
    assert len(shown) >= 3 and all(timed(c) for c in shown), [c.id for c in shown if not timed(c)]


@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_lesson_records_the_settings_it_was_saved_with(lesson):
    "Saved with the default settings, and says so, so that dlcourse-check can tell other settings from a mistake"
    assert load_nb(lesson).metadata.get('dlcourse', {}).get('settings') == asdict(CourseSettings())


@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_lesson_opens_with_the_lecture_and_keeps_its_exercises(lesson):
    "Each lesson links the fast.ai lecture it follows; its What next cell survives in the clean copy"
    md = [c.source for c in load_nb(lesson).cells if c.cell_type == 'markdown']
    assert 'https://course.fast.ai/Lessons/lesson3.html' in '\n'.join(md[:3])
    cl = load_nb(ROOT/'clean'/lesson.name)
    kept = [c.source for c in cl.cells if c.cell_type == 'markdown' and KEEP_MARK in c.source]
    assert any('What next' in s for s in kept)


def _long_lines():
    "file:line of each line over `MAX_LINE` characters in the notebooks' code cells, the tests and the benchmarks"
    for nb in [*lesson_notebooks(ROOT/'nbs'), *notebooks(ROOT/'nbs/tools')]:
        for c in load_nb(nb).cells:
            if c.cell_type != 'code': continue
            for i, l in enumerate(c.source.splitlines(), 1):
                if len(l) > MAX_LINE: yield f"{nb.relative_to(ROOT)}:cell {c.id}:{i}"
    for f in sorted([*(ROOT/'tests').glob('*.py'), *(ROOT/'bench').glob('*.py')]):
        for i, l in enumerate(f.read_text(encoding='utf-8').splitlines(), 1):
            if len(l) > MAX_LINE: yield f"{f.relative_to(ROOT)}:{i}"


def test_no_line_over_120_characters():
    "The code of the lessons, the tools notebooks, the tests and the benchmarks reads without scrolling"
    long = list(_long_lines())
    assert not long, f"{len(long)} lines over {MAX_LINE} characters:\n" + '\n'.join(long)


def _empty_headings(nb) -> list:
    """The headings of a clean copy with no code or kept cell under them before the next heading of their level or
    above (a kept cell's own headings count as headings, and what follows them as something to do)"""
    items = []   # (heading level, text) for headings, None for anything a learner does
    for c in nb.cells[1:]:   # after the exercise cell
        if c.cell_type != 'code':
            items += [(len(m.group(1)), m.group(0)) for m in re.finditer(r'^(#+)\s.*$', c.source, flags=re.M)]
        if c.cell_type == 'code' or KEEP_MARK in c.source: items.append(None)
    empty = []
    for i, h in enumerate(items):
        if h is None: continue
        rest = items[i + 1:]
        nxt = next((j for j, x in enumerate(rest) if x is not None and x[0] <= h[0]), len(rest))
        if all(x is not None for x in rest[:nxt]): empty.append(h[1])
    return empty


@pytest.mark.parametrize('lesson', lesson_notebooks(ROOT/'nbs'), ids=lambda p: p.name)
def test_no_heading_is_left_empty_in_a_clean_copy(lesson):
    assert not _empty_headings(load_nb(ROOT/'clean'/lesson.name))
