"dlcourse-clean as a teacher and a learner meet it: bad notebooks, learner work, their own folders."
import subprocess
import nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
import pytest
import dlcourse.tools.clean as dc
from fastcore.nbio import read_nb
from helpers import cmd

KS = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}


def make_nb(path, cells):
    "Write a notebook of `cells` ('md:' prefix for markdown) at `path`"
    nb = new_notebook(metadata=KS, cells=[new_markdown_cell(s[3:]) if s.startswith('md:') else new_code_cell(s) for s in cells])
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def clean(*args, cwd):
    return subprocess.run([cmd('dlcourse-clean'), *map(str, args)], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def course(tmp_path):
    "A teacher's folder of notebooks, one in a subfolder"
    src = tmp_path/'mine'
    make_nb(src/'a.ipynb', ['md:# Lesson A\n\nProse that goes.\n\n## Part one', '#| export\nx = 1', 'md:Only prose.',
                            f'md:{dc.KEEP_MARK}\n**Exercise:** change x.', '#| hide\nassert x == 1', '#| default_exp a'])
    make_nb(src/'sub/b.ipynb', ['md:# Lesson B', 'print("b")'])
    return src


def test_teacher_folder_with_dest(course, tmp_path):
    r = clean(course, '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a = read_nb(tmp_path/'out/a.ipynb')
    # the #| hide cell is the lesson's test, not part of the exercise
    assert [c.source for c in a.cells[1:-1]] == ['# Lesson A\n## Part one', 'x = 1', f'{dc.KEEP_MARK}\n**Exercise:** change x.']
    assert a.cells[-1].source == dc.CHECK_CELL
    assert 'Test yourself: Lesson A' in a.cells[0].source
    assert a.metadata.dlcourse.source == '../mine/a.ipynb'
    assert (tmp_path/'out/sub/b.ipynb').exists()


def test_malformed_notebook_reported_and_others_processed(course, tmp_path):
    (course/'broken.ipynb').write_text('{"cells": [ this is not json')
    (course/'notanb.ipynb').write_text('{"hello": 1}')
    r = clean(course, '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode != 0
    errs = r.stderr.strip().splitlines()
    assert len(errs) == 2, r.stderr
    assert 'broken.ipynb: not a valid notebook (bad JSON' in errs[0]
    assert 'notanb.ipynb: not a valid notebook' in errs[1]
    assert (tmp_path/'out/a.ipynb').exists() and (tmp_path/'out/sub/b.ipynb').exists()
    assert not (tmp_path/'out/broken.ipynb').exists()
    assert [p.name for p in (tmp_path/'out').iterdir() if p.name.startswith('.')] == []


def test_interrupted_write_leaves_old_file_and_no_temp(course, tmp_path, monkeypatch):
    dest = tmp_path/'out/a.ipynb'
    dc.clean_one(course/'a.ipynb', dest)
    before = dest.read_bytes()
    make_nb(course/'a.ipynb', ['md:# Lesson A, rewritten', 'y = 2'])
    def boom(*a, **k): raise OSError('disk full')
    monkeypatch.setattr(dc.os, 'replace', boom)
    with pytest.raises(OSError): dc.clean_one(course/'a.ipynb', dest)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in dest.parent.iterdir()) == ['a.ipynb']


def _learner_runs(path):
    "What a learner does in JupyterLab: run a cell (outputs, execution count) and edit another"
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == 'code']
    code[0].outputs = [nbformat.v4.new_output('stream', text='1\n')]
    code[0].execution_count = 1
    code[-1].source += '\nprint("my note")'
    nbformat.write(nb, str(path))


def test_learner_work_kept_without_force(course, tmp_path):
    out = tmp_path/'out'
    assert clean(course, '--dest', out, cwd=tmp_path).returncode == 0
    _learner_runs(out/'a.ipynb')
    mine = (out/'a.ipynb').read_bytes()
    make_nb(course/'a.ipynb', ['md:# Lesson A', 'x = 2'])          # the lesson changes upstream
    r = clean(course, '--dest', out, cwd=tmp_path)
    assert r.returncode != 0
    assert 'a.ipynb: kept: has your edits or outputs' in r.stdout
    assert (out/'a.ipynb').read_bytes() == mine
    assert 'sub/b.ipynb: unchanged' in r.stdout


def test_learner_work_backed_up_with_force(course, tmp_path):
    out = tmp_path/'out'
    clean(course, '--dest', out, cwd=tmp_path)
    _learner_runs(out/'a.ipynb')
    mine = (out/'a.ipynb').read_bytes()
    make_nb(course/'a.ipynb', ['md:# Lesson A', 'x = 2'])
    r = clean(course, '--dest', out, '--force', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    backups = list(out.glob('a.learner-*.ipynb'))
    assert len(backups) == 1 and backups[0].read_bytes() == mine
    assert [c.source for c in read_nb(out/'a.ipynb').cells if c.cell_type == 'code'][:-1] == ['x = 2']


def test_untouched_copy_is_regenerated(course, tmp_path):
    out = tmp_path/'out'
    clean(course, '--dest', out, cwd=tmp_path)
    make_nb(course/'a.ipynb', ['md:# Lesson A', 'x = 3'])
    r = clean(course, '--dest', out, cwd=tmp_path)
    assert r.returncode == 0 and 'a.ipynb: written' in r.stdout
    assert not list(out.glob('*.learner-*'))


def test_refuses_to_overwrite_the_lesson(course, tmp_path):
    before = (course/'a.ipynb').read_bytes()
    r = clean(course/'a.ipynb', '--dest', course, cwd=tmp_path)
    assert r.returncode != 0 and 'would overwrite the lesson itself' in r.stderr
    assert (course/'a.ipynb').read_bytes() == before


def test_missing_path(tmp_path):
    r = clean(tmp_path/'nope.ipynb', '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode != 0 and 'nope.ipynb: cannot be read' in r.stderr
