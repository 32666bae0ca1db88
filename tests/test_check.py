"dlcourse-check: a learner's clean notebook compared, cell by cell, with the lesson's saved outputs."
import re, subprocess
from pathlib import Path
import pytest
from fastcore.nbio import read_nb, write_nb
from helpers import ROOT, cmd, course_copy

LESSONS = sorted(p.name for p in (ROOT/'clean').glob('*.ipynb') if '.learner-' not in p.name)


@pytest.fixture
def fresh(tmp_path):
    "A copy of the course (lessons, clean copies, default settings) for one test to edit; runs write models/ there"
    return course_copy(tmp_path/'course')


def statuses(out):
    "The status word of each report line"
    return [m.group(1) for l in out.splitlines() if (m := re.match(r'\[\s*\d+\] (\S+)', l))]


def check(path, *args, cwd):
    return subprocess.run([cmd('dlcourse-check'), str(path), *args], cwd=cwd, capture_output=True, text=True)


def edit(path, old, new):
    "Change `old` to `new` in the code of the notebook at `path`, as a learner would"
    nb = read_nb(path)
    hits = [c for c in nb.cells if c.cell_type == 'code' and old in c.source]
    assert len(hits) == 1, old
    hits[0].source = hits[0].source.replace(old, new)
    write_nb(nb, path)


@pytest.mark.parametrize('name', LESSONS)
def test_clean_copy_run_in_a_kernel_checks_as_the_lesson(lesson_run, name):
    """Every lesson's clean copy, run untouched in a Jupyter kernel as JupyterLab runs it (once this session) and saved, checks
    as all same or not comparable: dlcourse-check exits 0 on it. Its lesson's unit checks, run in the same kernel, pass."""
    from dlcourse.tools.check import summary
    r = lesson_run(name)
    assert not r.hidden_errors, r.hidden_errors
    bad = [x.line() for x in r.reports if x.status not in ('same', 'close', 'not comparable')]
    assert not bad, '\n'.join(bad) + '\n' + summary(r.reports)
    live = [x for x in r.reports if x.status == 'not comparable']
    assert all(x.detail in ("depends on this machine's speed (#| timing)", 'widget or progress bar') for x in live), [x.line() for x in live]
    assert sum(x.status in ('same', 'close') for x in r.reports) >= len(r.reports) - 6
    c = check(r.path, cwd=r.course)
    assert c.returncode == 0 and 'everything you ran matches the lesson' in c.stdout, c.stdout[-3000:] + c.stderr[-2000:]


def test_clean_copy_run_checks_all_same(fresh):
    "The command itself, on the clean copy of lesson 1: dlcourse-check --run passes on an untouched clean copy"
    r = check(fresh/'clean/01_neural_net_basics.ipynb', '--run', cwd=fresh)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    st = statuses(r.stdout)
    assert st and set(st) <= {'same', 'close', 'not'}, r.stdout
    assert st.count('not') == 5, "the @interact sliders and the four slider plots are live widgets: not comparable"
    assert 'everything you ran matches the lesson' in r.stdout


def test_edited_cell_is_changed_code_not_a_failure(fresh):
    nb = fresh/'clean/01_neural_net_basics.ipynb'
    edit(nb, 'f2 = mk_quad(3, 2, 1)', 'f2 = mk_quad(3, 2, 1)  # my note: the same quadratic')
    r = check(nb, '--run', cwd=fresh)
    assert r.returncode == 0, r.stdout
    assert any('changed code, same' in l and 'f2 = mk_quad' in l for l in r.stdout.splitlines())


def test_raising_cell_reported_and_the_rest_compared(fresh):
    "A learner's own code that raises is reported with its exception (changed code: not counted); lesson code it breaks is"
    nb = fresh/'clean/01_neural_net_basics.ipynb'
    edit(nb, 'plot_function(f2);', '1/0')
    before = nb.read_bytes()
    r = check(nb, '--run', cwd=fresh)
    assert nb.read_bytes() == before, "the learner's notebook must not change"
    assert r.returncode == 0, r.stdout
    out = r.stdout.splitlines()
    i = next(i for i, l in enumerate(out) if '1/0' in l)
    assert 'changed code, different' in out[i] and 'raised ZeroDivisionError' in out[i + 1]
    after = statuses('\n'.join(out[i + 1:]))
    assert len(after) > 25 and set(after) <= {'same', 'not'}, "cells after the error are still compared"
    edit(nb, 'abc = torch.tensor([1.5, 1.5, 1.5])\nabc.requires_grad_()', 'abcd = torch.tensor([1.5, 1.5, 1.5])\nabcd.requires_grad_()')
    r = check(nb, '--run', cwd=fresh)                              # now the lesson's next cell, unchanged, raises NameError
    assert r.returncode == 1
    out = r.stdout.splitlines()
    i = next(i for i, l in enumerate(out) if 'loss = quad_mse(abc, x, y)' in l)
    assert '] different' in out[i] and out[i + 1].strip() == 'raised NameError'


def test_no_outputs_yet(fresh):
    r = check(fresh/'clean/01_neural_net_basics.ipynb', cwd=fresh)
    assert r.returncode == 2 and r.stderr.strip().endswith('has no outputs yet; run it in JupyterLab and save it, or use --run')


def test_malformed_notebook(tmp_path):
    bad = tmp_path/'bad.ipynb'
    bad.write_text('{"cells": [')
    r = check(bad, cwd=tmp_path)
    assert r.returncode == 2 and 'bad.ipynb: not a valid notebook' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_wrong_notebook(fresh):
    r = check(fresh/'nbs/01_neural_net_basics.ipynb', cwd=fresh)
    assert r.returncode == 2
    assert 'not a clean copy of a lesson' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_check_from_inside_a_notebook(fresh, tmp_path):
    "The clean copy's last cell, check(), finds its notebook through Jupyter's JPY_SESSION_NAME and prints the report"
    import os
    nb_path = fresh/'clean/01_neural_net_basics.ipynb'
    r = subprocess.run([str(Path(cmd('python'))), '-c', 'from dlcourse.tools.check import check; check()'], cwd=nb_path.parent,
                       env=dict(os.environ, JPY_SESSION_NAME=str(nb_path)), capture_output=True, text=True)
    assert r.stdout.strip() == f"check(): {nb_path}: has no outputs yet; run it in JupyterLab and save it, or use --run"


def test_other_settings_are_named_and_expected(fresh):
    "A learner who changed the seed is told so first; the differences are expected ones (exit 3), not mistakes"
    (fresh/'settings.ini').write_text((fresh/'settings.ini').read_text().replace('seed = 42', 'seed = 7'))
    r = check(fresh/'clean/01_neural_net_basics.ipynb', '--run', cwd=fresh)
    lines = r.stdout.splitlines()
    assert lines[0] == "Your settings differ from the lesson's: seed = 7 (the lesson's: 42)", lines[:2]
    assert r.returncode == 3, r.stdout[-2000:]
    assert 'as expected with your settings (seed changed): not mistakes' in lines[-1]
    assert 'different' in statuses(r.stdout)
