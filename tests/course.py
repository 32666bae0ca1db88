"""The course material the tests share besides fixtures: the course's paths and commands, copies of the course to run
lessons in, the one way tests build a notebook, a lesson run in a Jupyter kernel that stays up for tests to question,
and readers of what a run showed. Servers, JupyterLab and Chromium are in `lab.py`."""
import base64, copy, io, json, shutil, struct, sys, zlib
from dataclasses import asdict
from pathlib import Path
import nbformat
import numpy as np
from PIL import Image
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from dlcourse.tools.kernel import Kernel, stream_text
from dlcourse.tools.compare import cell_outputs
from dlcourse.tools.notebook import directives
from dlcourse.tools.settings import CourseSettings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LESSON1 = ROOT/'nbs/01_neural_net_basics.ipynb'
NETWORK_UP = ROOT/'tests'/'network_up'


def cmd(name):
    "The path of console command `name` installed beside the running Python"
    return str(BIN/name)


def course_copy(dst, with_clean=True, lessons=True):
    """A copy of the course to run lessons in (nbs/, clean/, pyproject.toml, default settings; without `lessons`, empty
    nbs/ and clean/ folders for a lesson of a test's own); runs write models/ there"""
    ignore = shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints', '*.learner-*')
    if not lessons:
        for f in ('nbs', 'clean'): (dst/f).mkdir(parents=True)
    else:
        shutil.copytree(ROOT/'nbs', dst/'nbs', ignore=ignore)
        if with_clean: shutil.copytree(ROOT/'clean', dst/'clean', ignore=ignore)
    shutil.copy(ROOT/'pyproject.toml', dst/'pyproject.toml')   # it marks the course's root
    write_default_settings(dst/'settings.ini')
    return dst


# The session's lesson runs take another numeric path through this CPU than the one the lessons were saved on, or that
# dlcourse-spread measured (tools.spread.VARIANTS, one variable each): PyTorch without its vector instructions, and
# oneDNN held to AVX2, as on an older CPU. Their last digits differ, as a learner's machine's do, and dlcourse-check
# must still find them the lesson's.
SUITE_CPU = {'ATEN_CPU_CAPABILITY': 'default', 'ONEDNN_MAX_CPU_ISA': 'AVX2'}


def cold_caches(folder) -> dict:
    "The variables that give a run the course's and Hugging Face's caches in `folder`, empty: a learner's first run"
    folder.mkdir(parents=True)
    return dict(XDG_CACHE_HOME=str(folder/'xdg'), HF_HOME=str(folder/'huggingface'))


KERNELSPEC = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}


def build_nb(cells, path=None, meta=None):
    """A notebook of `cells`, each code or, where it starts with 'md:', markdown, with a kernelspec and `meta`; written
    to `path` (its folder made) where given"""
    nb = new_notebook(cells=[new_markdown_cell(c[3:]) if c.startswith('md:') else new_code_cell(c) for c in cells],
                      metadata={'kernelspec': KERNELSPEC, **(meta or {})})
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    return nb


def make_image_folder(root, classes=('blue', 'red'), n=12, size=32, broken=()):
    "A small dataset: a subfolder per class of noisy images in its colour, and unreadable files named in `broken`"
    rng = np.random.default_rng(0)
    colours = {'red': (200, 40, 40), 'blue': (40, 40, 200), 'green': (40, 200, 40), 'yellow': (200, 200, 40)}
    for c in classes:
        (root/c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = np.clip(np.array(colours[c]) + rng.normal(0, 40, (size, size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(a).save(root/c/f'{c}_{i}.png')
    for rel in broken: (root/rel).write_bytes(b'this is not an image')
    return root


def write_default_settings(path):
    "A settings.ini holding the course's default settings (a learner may have edited the repository's)"
    path.write_text('[course]\n' + ''.join(f'{k} = {v}\n' for k, v in asdict(CourseSettings()).items()))


def standin_checkpoint(hub, arch):
    "Random weights for `arch`, saved where and as timm reads its pretrained weights from the Hugging Face cache"
    import timm   # torch and timm: imported by the tests that train only
    from safetensors.torch import save_file
    from dlcourse.tools.models import timm_name
    repo = timm.models.get_pretrained_cfg(timm_name(arch)).hf_hub_id
    top = hub/f"models--{repo.replace('/', '--')}"
    (top/'snapshots/0123456789abcdef').mkdir(parents=True)
    (top/'refs').mkdir()
    (top/'refs/main').write_text('0123456789abcdef')
    f = top/'snapshots/0123456789abcdef/model.safetensors'
    save_file(timm.create_model(timm_name(arch), pretrained=False).state_dict(), f)
    return f


SETTING_VARS = {f'DLCOURSE_{k.upper()}' for k in
                ('dataset', 'arch', 'img_size', 'epochs', 'batch_size', 'seed', 'pretrained')}


def solve(nb, lesson_cells, but=()):
    "Clean copy `nb` with its exercises written as the lesson writes them (but those named in `but`): a learner's"
    from dlcourse.tools.exercise import lesson_exercises
    exercises = lesson_exercises(new_notebook(cells=list(lesson_cells)))
    solutions = {ex.id: ex.source for ex in exercises if ex.name not in but}
    for c in nb.cells:
        if c.get('id') in solutions: c.source = solutions[c.id]
    return nb


class LessonRun:
    """A notebook run cell by cell in a Jupyter kernel, as JupyterLab's Run All does (going on after errors), with the
    lesson's `#| hide` cells (its unit checks) run at their places and its exercises written as the lesson writes them
    when `lesson` is given; the kernel stays up"""
    def __init__(self, nb_path, cwd, env=None, lesson=None, timeout=1800):
        self.path, self.nb = Path(nb_path), nbformat.read(nb_path, as_version=4)
        # the learner's settings overrides are left out: the run uses the course's settings.ini and `env`
        env = {**{k: None for k in SETTING_VARS}, 'DLCOURSE_CHECKING': '1', **(env or {})}
        self.kernel, self.hidden_errors = Kernel(cwd, env, timeout), []
        order = nbformat.read(lesson, as_version=4).cells if lesson else self.nb.cells
        if lesson: solve(self.nb, order)
        mine = {c.id: c for c in self.nb.cells if c.cell_type == 'code'}
        for c in [c for c in order if c.cell_type == 'code']:
            if lesson and 'hide' in directives(c): self._hidden(c)
            elif c.id in mine: self.kernel.run_cell(mine.pop(c.id))
        for c in mine.values(): self.kernel.run_cell(c)   # the clean copy's own last cell, check()
        self.nb.metadata.pop('widgets', None)

    def _hidden(self, cell):
        c = copy.deepcopy(cell)
        if self.kernel.run_cell(c): self.hidden_errors.append(f"{cell.id}: {_error_line(c.outputs)}")

    def save(self):
        "Save the notebook with its outputs, as JupyterLab does"
        nbformat.write(self.nb, self.path)
        return self.path

    def run(self, code) -> list: return self.kernel.run(code)

    def value(self, expr):
        "The value of the Python expression `expr` in the kernel, sent back as JSON"
        out = stream_text(self.run(f"import json as _json\nprint(_json.dumps({expr}))"))
        return json.loads(out.strip().splitlines()[-1])

    def errors(self) -> list:
        "The cells of the notebook that raised, as one line each"
        return [f"{c.id}: {e}" for c in self.nb.cells if c.cell_type == 'code' for e in [_error_line(c.outputs)] if e]

    def close(self): self.kernel.close()


def lesson_upto(dst, lesson, upto, env=None) -> 'LessonRun':
    """Lesson `lesson`'s clean copy, in a course copied to `dst`, up to its code cell containing `upto`, its exercises
    written as the lesson writes them, run in a kernel with `env` (settings' overrides, CUDA_VISIBLE_DEVICES...)"""
    course = course_copy(dst)
    nb = nbformat.read(course/'clean'/lesson, as_version=4)
    last = next(i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and upto in c.source)
    nb.cells = nb.cells[:last + 1]
    nbformat.write(nb, course/'clean'/f'short_{lesson}')
    return LessonRun(course/'clean'/f'short_{lesson}', course/'clean', env, lesson=ROOT/'nbs'/lesson)


def _error_line(outputs):
    e = next((o for o in outputs if o.get('output_type') == 'error'), None)
    return e and f"{e['ename']}: {e['evalue']}".splitlines()[0]


def outputs_text(nb):
    "All the text a notebook's code cells printed or returned, joined (as dlcourse-check reads it)"
    return '\n'.join(cell_outputs(c).text for c in nb.cells if c.cell_type == 'code')


def cell_text(nb, code):
    "What the clean copy's one code cell containing `code` showed, as dlcourse-check reads it"
    hits = [cell_outputs(c).text for c in nb.cells if c.cell_type == 'code' and code in c.source]
    assert len(hits) == 1, code
    return hits[0]


def tables(nb, code):
    "The number of rows of each HTML table (fastai's results in a kernel) that the cell containing `code` showed"
    return [h.count('<tr>') - 1 for c in nb.cells if c.cell_type == 'code' and code in c.source for o in c.outputs
            for h in [''.join(o.get('data', {}).get('text/html', ''))] if '<table' in h]


def drawn(run, plot, **values):
    "Move the sliders of `plot` in the lesson's kernel to `values`; (its title, its PNG, how many times it has drawn)"
    run.run(f"for _k, _v in {values!r}.items(): {plot}.controls[_k].value = _v\nassert {plot}.wait()")
    png = f"__import__('base64').b64encode(bytes({plot}.image.value)).decode()"
    v = run.value(f"dict(title={plot}.title, png={png}, renders={plot}.renders)")
    return v['title'], base64.b64decode(v['png']), v['renders']


def title_band(png):
    "The band of a slider plot's picture (PNG bytes) above its axes, where the title is drawn, as greyscale pixels"
    return np.asarray(Image.open(io.BytesIO(png)).convert('L'))[:32]


def short_notebook(src, dst, *codes):
    "A copy of notebook `src` at `dst` with, in order, only the code cells that are (or else contain) one of `codes`"
    nb = nbformat.read(src, as_version=4)
    code = [c for c in nb.cells if c.cell_type == 'code']
    def picked(k): return [c for c in code if c.source == k] or [c for c in code if k in c.source]
    for k in codes: assert len(picked(k)) == 1, f"{Path(src).name}: {k!r} must pick one code cell"
    keep = {id(c) for k in codes for c in picked(k)}
    nb.cells = [c for c in code if id(c) in keep]
    nbformat.write(nb, dst)
    return Path(dst)


def png_header(w, h) -> bytes:
    "A tiny PNG whose header claims `w`×`h` pixels: what a decompression bomb looks like to a reader"
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'')) + chunk(b'IEND', b'')
