"dlcourse-clean as a teacher and a learner meet it: bad notebooks, learner work, their own folders."
import os, subprocess
from dataclasses import asdict
import nbformat
import pytest
from dlcourse.tools.clean import CHECK_CELL, KEEP_MARK, clean_one
from dlcourse.tools.notebook import load_nb
from dlcourse.tools.settings import course_settings
from course import build_nb, cmd

def clean(*args, cwd):
    "Run dlcourse-clean with `args` in `cwd`"
    return subprocess.run([cmd('dlcourse-clean'), *map(str, args)], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def teacher(tmp_path):
    "A teacher's folder of notebooks, one in a subfolder"
    src = tmp_path/'mine'
    build_nb(path=src/'a.ipynb', cells=['md:# Lesson A\n\nProse that goes.\n\n## Part one', '#| export\nx = 1',
                                       'md:Only prose.', f'md:{KEEP_MARK}\n**Exercise:** change x.',
                                       '#| hide\nassert x == 1', '#| default_exp a'])
    build_nb(path=src/'sub/b.ipynb', cells=['md:# Lesson B', 'print("b")'])
    return src


def test_teacher_folder_with_dest(teacher, tmp_path):
    r = clean(teacher, '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ['out/a.ipynb: written', 'out/sub/b.ipynb: written']
    a = load_nb(tmp_path/'out/a.ipynb')
    # the #| hide cell is the lesson's test, not part of the exercise
    kept = f'{KEEP_MARK}\n**Exercise:** change x.'
    assert [c.source for c in a.cells[1:]] == ['# Lesson A\n## Part one', 'x = 1', kept, CHECK_CELL]
    assert 'Test yourself: Lesson A' in a.cells[0].source
    assert a.metadata.dlcourse.source == '../mine/a.ipynb'


def test_malformed_notebook_reported_and_others_processed(teacher, tmp_path):
    (teacher/'broken.ipynb').write_text('{"cells": [ this is not json')
    (teacher/'notanb.ipynb').write_text('{"hello": 1}')
    r = clean(teacher, '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode == 1
    errs = r.stderr.strip().splitlines()
    assert len(errs) == 2, r.stderr
    assert errs[0].startswith('dlcourse-clean: ') and 'broken.ipynb: not a valid notebook (bad JSON' in errs[0], errs
    assert 'notanb.ipynb: not a valid notebook' in errs[1], errs
    assert sorted(p.relative_to(tmp_path/'out').as_posix() for p in (tmp_path/'out').rglob('*.ipynb')) == \
        ['a.ipynb', 'sub/b.ipynb']


def test_interrupted_write_leaves_old_file_and_no_temp(teacher, tmp_path, monkeypatch):
    dest = tmp_path/'out/a.ipynb'
    clean_one(teacher/'a.ipynb', dest)
    before = dest.read_bytes()
    build_nb(path=teacher/'a.ipynb', cells=['md:# Lesson A, rewritten', 'y = 2'])
    def boom(*a, **k): raise OSError('disk full')
    monkeypatch.setattr(os, 'replace', boom)
    with pytest.raises(OSError, match='disk full'): clean_one(teacher/'a.ipynb', dest)
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


def test_learner_work_kept_without_force(teacher, tmp_path):
    out = tmp_path/'out'
    assert clean(teacher, '--dest', out, cwd=tmp_path).returncode == 0
    _learner_runs(out/'a.ipynb')
    mine = (out/'a.ipynb').read_bytes()
    build_nb(path=teacher/'a.ipynb', cells=['md:# Lesson A', 'x = 2'])          # the lesson changes upstream
    r = clean(teacher, '--dest', out, cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        'out/a.ipynb: kept: has your edits or outputs (run with --force to regenerate it, keeping yours as a backup)',
        'out/sub/b.ipynb: unchanged']
    assert (out/'a.ipynb').read_bytes() == mine


def test_learner_work_backed_up_with_force(teacher, tmp_path):
    out = tmp_path/'out'
    clean(teacher, '--dest', out, cwd=tmp_path)
    _learner_runs(out/'a.ipynb')
    mine = (out/'a.ipynb').read_bytes()
    build_nb(path=teacher/'a.ipynb', cells=['md:# Lesson A', 'x = 2'])
    r = clean(teacher, '--dest', out, '--force', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    backups = list(out.glob('a.learner-*.ipynb'))
    assert len(backups) == 1 and backups[0].read_bytes() == mine
    assert f'out/a.ipynb: regenerated; your version is in {backups[0].name}' in r.stdout.splitlines()
    assert [c.source for c in load_nb(out/'a.ipynb').cells if c.cell_type == 'code'] == ['x = 2', CHECK_CELL]


def test_untouched_copy_is_regenerated(teacher, tmp_path):
    out = tmp_path/'out'
    clean(teacher, '--dest', out, cwd=tmp_path)
    build_nb(path=teacher/'a.ipynb', cells=['md:# Lesson A', 'x = 3'])
    r = clean(teacher, '--dest', out, cwd=tmp_path)
    assert r.returncode == 0 and 'out/a.ipynb: written' in r.stdout.splitlines(), r.stdout + r.stderr
    assert not list(out.glob('*.learner-*'))


def test_missing_path(tmp_path):
    r = clean(tmp_path/'nope.ipynb', '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode == 1 and 'nope.ipynb: cannot be read' in r.stderr, r.stderr


def test_record_settings(teacher, tmp_path):
    "--record-settings records the settings of the course the lesson is in, or says in one line why it cannot"
    (tmp_path/'pyproject.toml').write_text('[tool.nbdev]\n')
    (tmp_path/'settings.ini').write_text('[course]\narch = resnet18\n')
    r = clean(teacher/'a.ipynb', '--record-settings', '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    want = asdict(course_settings(tmp_path/'settings.ini'))
    assert load_nb(teacher/'a.ipynb').metadata['dlcourse']['settings'] == want and want['arch'] == 'resnet18'
    (tmp_path/'settings.ini').write_text('[course]\nepochs = four\n')
    r = clean(teacher/'a.ipynb', '--record-settings', '--dest', tmp_path/'out', cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.splitlines() == [
        "dlcourse-clean: settings.ini: epochs = 'four' is not a whole number"], r.stderr
