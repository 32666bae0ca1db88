"dlcourse-check: a learner's clean notebook compared, cell by cell, with the lesson's saved outputs."
import re, subprocess
from pathlib import Path
import pytest
from fastcore.nbio import read_nb, write_nb
from conftest import ROOT, cmd, course_copy

LESSONS = sorted(p.name for p in (ROOT/'clean').glob('*.ipynb') if '.learner-' not in p.name)


@pytest.fixture
def course(tmp_path):
    "A copy of the course (lessons, clean copies, default settings): runs write models/ there, not in the repository"
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
def test_clean_copy_run_checks_all_same(course, name):
    r = check(course/'clean'/name, '--run', cwd=course)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    st = statuses(r.stdout)
    assert st and set(st) <= {'same', 'close', 'not'}, r.stdout
    assert st.count('not') == r.stdout.count("depends on this machine's speed (#| timing)"), "only the benchmark cells"
    assert 'everything you ran matches the lesson' in r.stdout


def test_planted_wrong_constant_is_found(course):
    nb = course/'clean/01_neural_net_basics.ipynb'
    edit(nb, 'add_noise(f(x), 0.15, 1.5)', 'add_noise(f(x), 0.15, 2.5)')
    before = nb.read_bytes()
    r = check(nb, '--run', cwd=course)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    planted = [l for l in lines if 'torch.manual_seed(seed)' in l and l.startswith('[')][0]
    assert 'changed code, different' in planted
    assert any(l.startswith('[') and '] different' in l and 'quad_mse([1.5, 1.5, 1.5], x, y)' in l for l in lines), "a cell that uses y"
    assert nb.read_bytes() == before, "the learner's notebook must not change"


def test_edited_cell_is_changed_code_not_a_failure(course):
    nb = course/'clean/01_neural_net_basics.ipynb'
    edit(nb, 'f2 = mk_quad(3, 2, 1)', 'f2 = mk_quad(3, 2, 1)  # my note: the same quadratic')
    r = check(nb, '--run', cwd=course)
    assert r.returncode == 0, r.stdout
    assert any('changed code, same' in l and 'f2 = mk_quad' in l for l in r.stdout.splitlines())


def test_raising_cell_reported_and_the_rest_compared(course):
    "A learner's own code that raises is reported with its exception (changed code: not counted); lesson code it breaks is"
    nb = course/'clean/01_neural_net_basics.ipynb'
    edit(nb, 'plot_function(f2);', '1/0')
    r = check(nb, '--run', cwd=course)
    assert r.returncode == 0, r.stdout
    out = r.stdout.splitlines()
    i = next(i for i, l in enumerate(out) if '1/0' in l)
    assert 'changed code, different' in out[i] and 'raised ZeroDivisionError' in out[i + 1]
    after = statuses('\n'.join(out[i + 1:]))
    assert len(after) > 25 and set(after) <= {'same', 'not'}, "cells after the error are still compared"
    edit(nb, 'abc = torch.tensor([1.5, 1.5, 1.5])\nabc.requires_grad_()', 'abcd = torch.tensor([1.5, 1.5, 1.5])\nabcd.requires_grad_()')
    r = check(nb, '--run', cwd=course)                              # now the lesson's next cell, unchanged, raises NameError
    assert r.returncode == 1
    out = r.stdout.splitlines()
    i = next(i for i, l in enumerate(out) if 'loss = quad_mse(abc, x, y)' in l)
    assert '] different' in out[i] and out[i + 1].strip() == 'raised NameError'


def test_saved_outputs_from_a_real_kernel(course):
    "The learner's way: run in a Jupyter kernel and save, then check the saved outputs (no --run)"
    import nbformat
    from nbclient import NotebookClient
    nb_path = course/'clean/01_neural_net_basics.ipynb'
    nb = nbformat.read(str(nb_path), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': str(nb_path.parent)}}).execute()
    nbformat.write(nb, str(nb_path))
    r = check(nb_path, cwd=course)
    assert r.returncode == 0, r.stdout
    st = statuses(r.stdout)
    assert st.count('same') > 30
    assert st.count('not') == 5, "the @interact sliders and the four slider plots are live widgets: not comparable"


def test_no_outputs_yet(course):
    r = check(course/'clean/01_neural_net_basics.ipynb', cwd=course)
    assert r.returncode == 2 and r.stderr.strip().endswith('has no outputs yet; run it in JupyterLab and save it, or use --run')


def test_malformed_notebook(tmp_path):
    bad = tmp_path/'bad.ipynb'
    bad.write_text('{"cells": [')
    r = check(bad, cwd=tmp_path)
    assert r.returncode == 2 and 'bad.ipynb: not a valid notebook' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_wrong_notebook(course):
    r = check(course/'nbs/01_neural_net_basics.ipynb', cwd=course)
    assert r.returncode == 2
    assert 'not a clean copy of a lesson' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_check_from_inside_a_notebook(course, tmp_path):
    "The clean copy's last cell, check(), finds its notebook through Jupyter's JPY_SESSION_NAME and prints the report"
    import os
    nb_path = course/'clean/01_neural_net_basics.ipynb'
    r = subprocess.run([str(Path(cmd('python'))), '-c', 'from dlcourse.check import check; check()'], cwd=nb_path.parent,
                       env=dict(os.environ, JPY_SESSION_NAME=str(nb_path)), capture_output=True, text=True)
    assert r.stdout.strip() == f"check(): {nb_path}: has no outputs yet; run it in JupyterLab and save it, or use --run"


def test_other_settings_are_named_and_expected(course):
    "A learner who changed the seed is told so first; the differences are expected ones (exit 3), not mistakes"
    (course/'settings.ini').write_text((course/'settings.ini').read_text().replace('seed = 42', 'seed = 7'))
    r = check(course/'clean/01_neural_net_basics.ipynb', '--run', cwd=course)
    lines = r.stdout.splitlines()
    assert lines[0] == "Your settings differ from the lesson's: seed = 7 (the lesson's: 42)", lines[:2]
    assert r.returncode == 3, r.stdout[-2000:]
    assert 'as expected with your settings (seed changed): not mistakes' in lines[-1]
    assert 'different' in statuses(r.stdout)
