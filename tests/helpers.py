"""What the tests share besides fixtures: the course's paths, its commands, copies of the course to run lessons in, and a lesson
run in a Jupyter kernel that stays up for tests to question. Benchmarks import it too."""
import os, shutil, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LESSON1 = ROOT/'nbs/01_neural_net_basics.ipynb'
NETWORK_UP = ROOT/'tests'/'network_up'


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


def need_chromium():
    "Skip (with a one-line reason) where there is no Chromium; fail instead under .ci/run, which requires the browser tests"
    import os
    from dlcourse.tools.browser import find_chromium
    if find_chromium(): return
    if os.environ.get('DLCOURSE_REQUIRE_BROWSER') == '1': pytest.fail("no Chromium, and .ci/run requires the browser tests")
    pytest.skip("no Chromium on this machine (apt-get install chromium) to run the browser tests")


def need_libreoffice():
    "Skip (with a one-line reason) where there is no LibreOffice; fail instead under .ci/run, which requires the spreadsheet tests"
    import os
    from dlcourse.tools.spreadsheet import find_soffice
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
    from dlcourse.tools.settings import CourseSettings
    path.write_text('[course]\n' + ''.join(f'{k} = {v}\n' for k, v in asdict(CourseSettings()).items()))


SETTING_VARS = {f'DLCOURSE_{k.upper()}' for k in ('dataset', 'arch', 'img_size', 'epochs', 'batch_size', 'seed', 'pretrained')}


class LessonRun:
    """A notebook run cell by cell in a Jupyter kernel, as JupyterLab's Run All does (going on after errors), with the lesson's
    `#| hide` cells (its unit checks) run at their places when `lesson` is given; the kernel stays up for tests to question"""
    def __init__(self, nb_path, cwd, env=None, lesson=None, timeout=1800):
        import nbformat
        from dlcourse.tools.kernel import Kernel
        self.path, self.nb = Path(nb_path), nbformat.read(nb_path, as_version=4)
        # the learner's settings overrides are left out: the run uses the course's settings.ini and `env`
        env = {**{k: None for k in SETTING_VARS}, 'DLCOURSE_CHECKING': '1', **(env or {})}
        self.kernel, self.hidden_errors = Kernel(cwd, env, timeout), []
        mine = {c.id: c for c in self.nb.cells if c.cell_type == 'code'}
        order = nbformat.read(lesson, as_version=4).cells if lesson else self.nb.cells
        for c in [c for c in order if c.cell_type == 'code']:
            if lesson and c.source.lstrip().startswith('#| hide'): self._hidden(c)
            elif c.id in mine: self.kernel.run_cell(mine.pop(c.id))
        for c in mine.values(): self.kernel.run_cell(c)   # the clean copy's own last cell, check()
        self.nb.metadata.pop('widgets', None)

    def _hidden(self, cell):
        import copy
        c = copy.deepcopy(cell)
        if self.kernel.run_cell(c): self.hidden_errors.append(f"{cell.id}: {_error_line(c.outputs)}")

    def save(self):
        "Save the notebook with its outputs, as JupyterLab does"
        import nbformat
        nbformat.write(self.nb, self.path)
        return self.path

    def run(self, code) -> list: return self.kernel.run(code)

    def value(self, expr):
        "The value of the Python expression `expr` in the kernel, sent back as JSON"
        import json
        from dlcourse.tools.kernel import stream_text
        return json.loads(stream_text(self.run(f"import json as _json\nprint(_json.dumps({expr}))")).strip().splitlines()[-1])

    def errors(self) -> list:
        "The cells of the notebook that raised, as one line each"
        return [f"{c.id}: {_error_line(c.outputs)}" for c in self.nb.cells if c.cell_type == 'code' and _error_line(c.outputs)]

    def close(self): self.kernel.close()


def _error_line(outputs):
    e = next((o for o in outputs if o.get('output_type') == 'error'), None)
    return e and f"{e['ename']}: {e['evalue']}".splitlines()[0]


def outputs_text(nb):
    "All the text a notebook's code cells printed or returned, joined (as dlcourse-check reads it)"
    from dlcourse.tools.check import cell_outputs
    return '\n'.join(cell_outputs(c).text for c in nb.cells if c.cell_type == 'code')


def cell_text(nb, code):
    "What the clean copy's one code cell containing `code` showed, as dlcourse-check reads it"
    from dlcourse.tools.check import cell_outputs
    hits = [cell_outputs(c).text for c in nb.cells if c.cell_type == 'code' and code in c.source]
    assert len(hits) == 1, code
    return hits[0]


def tables(nb, code):
    "The number of rows of each HTML table (fastai's results in a kernel) that the cell containing `code` showed"
    return [h.count('<tr>') - 1 for c in nb.cells if c.cell_type == 'code' and code in c.source for o in c.outputs
            for h in [''.join(o.get('data', {}).get('text/html', ''))] if '<table' in h]


def drawn(run, plot, **values):
    "Move the sliders of the lesson's `plot` (in its kernel) to `values`; (its title, its PNG, how many times it has drawn)"
    import base64
    run.run(f"for _k, _v in {values!r}.items(): {plot}.controls[_k].value = _v\nassert {plot}.wait()")
    v = run.value(f"dict(title={plot}.title, png=__import__('base64').b64encode(bytes({plot}.image.value)).decode(), renders={plot}.renders)")
    return v['title'], base64.b64decode(v['png']), v['renders']


def title_band(png):
    "The band of a slider plot's picture (PNG bytes) above its axes, where the title is drawn, as greyscale pixels"
    import io
    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)).convert('L'))[:32]

