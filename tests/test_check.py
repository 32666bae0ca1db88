"dlcourse-check: a learner's clean notebook compared, cell by cell, with the lesson's saved outputs."
import os, re, subprocess
from dataclasses import asdict
import pytest
from fastcore.nbio import read_nb
from dlcourse.tools.notebook import load_nb
from course import ROOT, SETTING_VARS, build_nb, cmd, course_copy

LESSONS = sorted(p.name for p in (ROOT/'clean').glob('*.ipynb') if '.learner-' not in p.name)
# whose outputs come from a training long enough to move on another CPU (lesson 6 prints its training to 3 or 4
# digits, which the spread's CPU variants did not move at a3bb91e)
TRAINS = ('02_training.ipynb',)
DICE = ["import random\nfrom dlcourse.tools.settings import course_settings\nrandom.seed(course_settings().seed)",
        "rolls = [random.randint(1, 6) for _ in range(5)]\nrolls",
        "print('total:', sum(rolls))"]


@pytest.fixture
def dice(tmp_path):
    "A course of one small lesson, dice rolled from the course's seed, with its clean copy; no outputs saved yet"
    from dlcourse.tools.clean import clean_one
    from dlcourse.tools.settings import course_settings
    course = course_copy(tmp_path/'course', lessons=False)
    meta = {'dlcourse': {'settings': asdict(course_settings(course/'settings.ini'))}}
    build_nb(['md:# Dice', *DICE], course/'nbs/dice.ipynb', meta)
    clean_one(course/'nbs/dice.ipynb', course/'clean/dice.ipynb')
    return course


@pytest.fixture
def dice_saved(dice):
    "The small lesson with its outputs saved, run in a kernel as `make export` runs it"
    from dlcourse.tools.kernel import save_outputs
    save_outputs(dice/'nbs/dice.ipynb', timeout=120)
    return dice


def check(path, *args, cwd):
    return subprocess.run([cmd('dlcourse-check'), str(path), *args], cwd=cwd, capture_output=True, text=True)


def edit(path, old, new):
    "Change `old` to `new` in the code of the notebook at `path`, as a learner would"
    from dlcourse.tools.notebook import save_nb
    nb = read_nb(path)
    hits = [c for c in nb.cells if c.cell_type == 'code' and old in c.source]
    assert len(hits) == 1, old
    hits[0].source = hits[0].source.replace(old, new)
    save_nb(nb, path)


@pytest.mark.slow
@pytest.mark.parametrize('name', LESSONS)
def test_clean_copy_run_in_a_kernel_checks_as_the_lesson(lesson_run, name):
    """Every lesson's clean copy, run untouched in a Jupyter kernel as JupyterLab runs it (once this session) and
    saved, checks as all same or not comparable: dlcourse-check exits 0 on it. Its lesson's unit checks, run in the same
    kernel, pass."""
    from dlcourse.tools.compare import Status
    r = lesson_run(name)
    assert not r.hidden_errors, r.hidden_errors
    cells = r.report.cells
    ok = (Status.NOT_COMPARABLE, Status.EXERCISE)
    bad = [x.line() for x in cells if not x.status.matches and x.status not in ok]
    assert not bad, '\n'.join(bad) + '\n' + r.report.summary()
    if 'start_lesson()' in r.path.read_text(): assert r.report.cpu.startswith('Your CPU: '), r.report.why()
    live = [x for x in cells if x.status == Status.NOT_COMPARABLE]
    why = ("depends on this machine's speed (tagged timing)", 'widget or progress bar')
    assert all(x.detail in why for x in live), [x.line() for x in live]
    assert sum(x.status.matches or x.status is Status.EXERCISE for x in cells) >= len(cells) - 6
    c = check(r.path, cwd=r.course)
    assert c.returncode == 0, c.stdout[-3000:] + c.stderr[-2000:]
    assert 'everything you ran matches the lesson' in c.stdout


@pytest.mark.parametrize('name', LESSONS)
def test_the_lessons_spread_fits_its_saved_outputs(name):
    """The spread that dlcourse-spread recorded in the lesson (make export) is that of its saved outputs: it names code
    cells, with a range holding each number they print, or VARIES; a lesson that trains has one"""
    from dlcourse.tools.compare import VARIES, cell_outputs, numbers
    from dlcourse.tools.spread import VARIANTS
    lesson = load_nb(ROOT/'nbs'/name)
    spread = lesson.metadata.get('dlcourse', {}).get('spread')
    assert spread and set(spread['variants']) <= set(VARIANTS), f"{name}: run make export (dlcourse-spread)"
    cells = {c.id: c for c in lesson.cells if c.cell_type == 'code'}
    for id_, entry in spread['cells'].items():
        text = cell_outputs(cells[id_]).text
        if entry.get('text', VARIES) != VARIES:
            assert len(entry['text']) == len(numbers(text)), (id_, "make export again: the spread is stale")
            assert all(lo <= v <= hi for (lo, hi), v in zip(entry['text'], numbers(text))), id_
        assert entry.get('images', VARIES) == VARIES or 0 <= entry['images'] <= 1, id_
    if name in TRAINS: assert spread['cells'], f"{name} trains, and nothing moved on {list(spread['variants'])}"


def test_malformed_notebook(tmp_path):
    bad = tmp_path/'bad.ipynb'
    bad.write_text('{"cells": [')
    r = check(bad, cwd=tmp_path)
    assert r.returncode == 2
    assert 'bad.ipynb: not a valid notebook' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_not_a_clean_copy(dice):
    r = check(dice/'nbs/dice.ipynb', cwd=dice)
    assert r.returncode == 2
    assert 'not a clean copy of a lesson' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_no_outputs_yet(dice):
    r = check(dice/'clean/dice.ipynb', cwd=dice)
    assert r.returncode == 2 and r.stdout == ''
    assert r.stderr.strip() == (f"dlcourse-check: {dice/'clean/dice.ipynb'}: has no outputs yet; "
                                "run it in JupyterLab and save it, or use --run")


def test_check_from_inside_a_notebook(dice):
    "The clean copy's last cell, check(), finds its notebook from JPY_SESSION_NAME, a path from Jupyter's root"
    folder = dice/'clean'
    code = 'from dlcourse.tools.check import check; check()'
    r = subprocess.run([cmd('python'), '-c', code], cwd=folder, capture_output=True, text=True,
                       env={**os.environ, 'JPY_SESSION_NAME': 'clean/dice.ipynb'})
    assert r.stdout.strip() == (f"check(): {folder/'dice.ipynb'}: has no outputs yet; "
                                "run it in JupyterLab and save it, or use --run")


@pytest.mark.slow
def test_run_leaves_the_learners_file_alone_and_counts_only_lesson_code(dice_saved):
    "A learner's cell that raises is reported with its exception, not counted; the lesson's cell it breaks is (exit 1)"
    nb = dice_saved/'clean/dice.ipynb'
    edit(nb, 'rolls = [random.randint(1, 6) for _ in range(5)]\nrolls', 
         'dice = [random.randint(1, 6) for _ in range(5)]\n1/0')
    before = nb.read_bytes()
    r = check(nb, '--run', cwd=dice_saved)
    assert nb.read_bytes() == before, "the learner's notebook must not change"
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout.splitlines()
    assert out[1:5] == ["[ 2] changed code, different dice = [random.randint(1, 6) for _ in range(5)]",
                        "       raised ZeroDivisionError",
                        "[ 3] different        print('total:', sum(rolls))",
                        "       raised NameError"], r.stdout
    assert out[-1].endswith('1 cell differs from the lesson; 1 cell you changed differs (not counted).'), out[-1]


@pytest.mark.slow
def test_other_settings_are_named_and_expected(dice_saved):
    "A learner who changed the seed is told so first; the differences are expected ones (exit 3), not mistakes"
    ini = dice_saved/'settings.ini'
    ini.write_text(ini.read_text().replace('seed = 42', 'seed = 7'))
    r = check(dice_saved/'clean/dice.ipynb', '--run', cwd=dice_saved)
    lines = r.stdout.splitlines()
    assert lines[0] == "Your settings differ from the lesson's: seed = 7 (the lesson's: 42)", lines[:2]
    assert r.returncode == 3, r.stdout[-2000:]
    assert lines[-1].endswith('as expected with your settings (seed changed): not mistakes.'), lines[-1]


# What a learner might get wrong in lesson 2, planted in its clean copy: (the code they change, what they write)
MISTAKES = {
    'training from scratch': ('pretrained=weights is not None,', 'pretrained=False,'),
    'a learning rate 100 times too large': ('learn.fine_tune(s.epochs, cbs=',
                                            'learn.fine_tune(s.epochs, base_lr=0.2, cbs='),
    'labels from the file names': ('get_y=label,', 'get_y=lambda f: f.stem[-2],'),
}
UNTIL = 'learn.validate()'   # the cells up to the error rate: the mistakes show there


@pytest.fixture(scope='module')
def planted(tmp_path_factory):
    """{mistake: dlcourse-check's report} for lesson 2's clean copy with each mistake of MISTAKES planted in it, run in
    one Jupyter kernel up to the error rate and saved, as a learner's JupyterLab would"""
    import nbformat
    from dlcourse.tools.check import check_notebook
    from dlcourse.tools.kernel import Kernel
    course = course_copy(tmp_path_factory.mktemp('mistakes'))
    nb = nbformat.read(course/'clean/02_training.ipynb', as_version=4)
    code = [c for c in nb.cells if c.cell_type == 'code']
    code = code[:next(i for i, c in enumerate(code) if UNTIL in c.source) + 1]
    res = {}
    with Kernel(course/'clean', {**{k: None for k in SETTING_VARS}, 'DLCOURSE_CHECKING': '1'}, timeout=900) as k:
        for name, (old, new) in MISTAKES.items():
            mine = nbformat.from_dict(dict(nb, cells=[dict(c, outputs=[]) for c in code]))
            hit, = [c for c in mine.cells if old in c.source]
            hit.source = hit.source.replace(old, new)
            for c in mine.cells: k.run_cell(c)
            path = course/'clean'/f"02_{name.replace(' ', '_')}.ipynb"
            nbformat.write(mine, path)
            res[name] = check_notebook(path)
    return res


@pytest.mark.slow
@pytest.mark.parametrize('mistake', MISTAKES)
def test_a_mistake_in_lesson2_is_different(planted, mistake):
    """A learner's mistake moves the error rate outside the spread of the lesson's runs on other CPUs: the check says
    different, with the learner's number beside the lesson's, and exits 1"""
    from dlcourse.tools.check import Exit
    from dlcourse.tools.compare import Status
    report = planted[mistake]
    print(report)   # shown with pytest -rP
    assert report.exit_status == Exit.DIFFERENT, str(report)
    cell, = [c for c in report.cells if UNTIL in c.source]
    assert cell.status == Status.DIFFERENT and not cell.changed, cell.line()
    mine = re.search(r'error rate: ([\d.]+)', cell.got.text).group(1)
    theirs = re.search(r'error rate: ([\d.]+)', cell.want.text).group(1)
    assert mine in cell.detail and theirs in cell.detail, cell.line()
    assert [c.changed for c in report.cells].count(True) == 1, str(report)


def test_spread_command_names_a_missing_lesson(tmp_path):
    r = subprocess.run([cmd('dlcourse-spread'), str(tmp_path/'nowhere.ipynb')], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 1 and r.stdout == ''
    assert r.stderr.strip().startswith('dlcourse-spread: ') and 'nowhere.ipynb' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
