"Shared paths for the tests: the repository root and its virtual environment's commands."
import shutil, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LESSON1 = ROOT/'nbs/01_neural_net_basics.ipynb'


def cmd(name):
    "The path of console command `name` installed beside the running Python"
    return str(BIN/name)


def course_copy(dst, with_clean=True):
    "A copy of the course to run lessons in: nbs/, clean/, pyproject.toml (which marks the course's root) and the default settings; runs write models/ there"
    ignore = shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints', '*.learner-*')
    shutil.copytree(ROOT/'nbs', dst/'nbs', ignore=ignore)
    if with_clean: shutil.copytree(ROOT/'clean', dst/'clean', ignore=ignore)
    shutil.copy(ROOT/'pyproject.toml', dst/'pyproject.toml')
    write_default_settings(dst/'settings.ini')
    return dst


@pytest.fixture
def repo_copy(tmp_path):
    "A copy of what nbdev and dlcourse-clean read and write: nbs/, lib/, clean/, pyproject.toml, settings.ini"
    dst = course_copy(tmp_path/'repo')
    shutil.copytree(ROOT/'lib', dst/'lib', ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(ROOT/'README.md', dst/'README.md')
    return dst


def need_chromium():
    "Skip (with a one-line reason) where there is no Chromium; fail instead under .ci/run, which requires the browser tests"
    import os
    from dlcourse.browser import find_chromium
    if find_chromium(): return
    if os.environ.get('DLCOURSE_REQUIRE_BROWSER') == '1': pytest.fail("no Chromium, and .ci/run requires the browser tests")
    pytest.skip("no Chromium on this machine (apt-get install chromium) to run the browser tests")


def need_libreoffice():
    "Skip (with a one-line reason) where there is no LibreOffice; fail instead under .ci/run, which requires the spreadsheet tests"
    import os
    from dlcourse.spreadsheet import find_soffice
    if find_soffice(): return
    if os.environ.get('DLCOURSE_REQUIRE_LIBREOFFICE') == '1': pytest.fail("no LibreOffice, and .ci/run requires the spreadsheet tests")
    pytest.skip("no LibreOffice on this machine (apt-get install libreoffice-calc-nogui) to recalculate spreadsheets")


def make_image_folder(root, classes=('blue', 'red'), n=12, size=32, broken=()):
    "A small dataset made by the tests: one subfolder per class of noisy images in the class's colour, plus unreadable files named in `broken`"
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    colours = {'red': (200, 40, 40), 'blue': (40, 40, 200), 'green': (40, 200, 40)}
    for c in classes:
        (root/c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = np.clip(np.array(colours[c]) + rng.normal(0, 40, (size, size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(a).save(root/c/f'{c}_{i}.png')
    for rel in broken: (root/rel).write_bytes(b'this is not an image')
    return root


def write_default_settings(path):
    "A settings.ini holding the course's default settings (a learner may have edited the repository's)"
    from dataclasses import asdict
    from dlcourse.settings import CourseSettings
    path.write_text('[course]\n' + ''.join(f'{k} = {v}\n' for k, v in asdict(CourseSettings()).items()))


def run_notebook(nb_path, cwd, env=None, exc_stop=True):
    "Execute the notebook at `nb_path` in a fresh in-process shell, in folder `cwd`, with the learner's DLCOURSE_* overrides removed and `env` set"
    import os
    from unittest.mock import patch
    from execnb.shell import CaptureShell
    from fastcore.nbio import read_nb
    from fastcore.xtras import working_directory
    with patch.dict(os.environ, env or {}):
        for k in [k for k in os.environ if k.startswith('DLCOURSE_') and k not in (env or {})]: del os.environ[k]
        nb = read_nb(nb_path)
        shell = CaptureShell(nb_path)
        # as nbdev does when it saves a notebook's outputs: cells marked `#| eval: false` are not run
        with working_directory(cwd): shell.run_all(nb, exc_stop=exc_stop, preproc=lambda c: c.directives.get('eval') == 'false')
        return nb, shell


def outputs_text(nb):
    "All the text a notebook's code cells printed or returned, joined (as dlcourse-check reads it)"
    from dlcourse.check import cell_outputs
    return '\n'.join(cell_outputs(c).text for c in nb.cells if c.cell_type == 'code')


LESSON_NEEDS = {'04_deploy.ipynb': ['02_training.ipynb']}   # lesson 4 deploys the model lesson 2 exports


@pytest.fixture(scope='session')
def course(tmp_path_factory):
    "The session's copy of the course, where each lesson runs once (models/ written by lesson 2 serves lesson 4)"
    return course_copy(tmp_path_factory.mktemp('course'))


@pytest.fixture(scope='session')
def lesson_run(course):
    """`lesson_run(name)`: lesson `name` executed once per test session, as nbdev saved it (execnb, its `#| hide` tests included,
    going on after an error), with dlcourse-check's report of its outputs against the saved ones. The clean copy holds the same
    code without the `#| hide` cells (tests/test_sync.py), so this one run serves the lesson, its unit checks and its clean copy."""
    from types import SimpleNamespace
    from dlcourse.check import check_notebook
    runs = {}
    def run(name):
        if name not in runs:
            for dep in LESSON_NEEDS.get(name, []): run(dep)
            nb, shell = run_notebook(course/'nbs'/name, course/'nbs', exc_stop=False)
            runs[name] = SimpleNamespace(nb=nb, shell=shell, course=course, reports=check_notebook(course/'clean'/name, ran=nb))
        return runs[name]
    return run


@pytest.fixture(scope='session')
def lesson1(lesson_run):
    "Lesson 1's session run: (the executed notebook, its shell)"
    r = lesson_run('01_neural_net_basics.ipynb')
    return r.nb, r.shell


def title_band(png):
    "The band of a slider plot's picture (PNG bytes) above its axes, where the title is drawn, as greyscale pixels"
    import io
    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)).convert('L'))[:32]
