"""A learner's first run, cold: nothing the course caches moves a generator a lesson has seeded; lesson 2 checks as the
same from empty caches and again on the caches it filled; every untouched clean copy, in a new course copy with empty
caches, on another numeric path through this CPU, checks as the lesson (or waits only on its exercises)."""
import os, random, subprocess
import numpy as np
import pytest
from course import ROOT, SUITE_CPU, LessonRun, cell_text, cmd, cold_caches, course_copy

LESSONS = sorted(p.name for p in (ROOT/'clean').glob('*.ipynb') if '.learner-' not in p.name)
EXERCISES = {'01_neural_net_basics.ipynb', '03_which_image_models.ipynb', '05_spreadsheet_model.ipynb', '06_nlp.ipynb'}
# a CPU unlike the one the lessons were saved on, and unlike the session's runs: no vector instructions, one thread
OTHER_CPU = {'ATEN_CPU_CAPABILITY': 'default', 'OMP_NUM_THREADS': '1'}


def generators():
    "The state of every random generator a lesson seeds (`set_seed`): Python's, NumPy's and PyTorch's"
    import torch
    return random.getstate(), np.random.get_state()[1].tobytes(), torch.get_rng_state().numpy().tobytes()


def fills():
    "{what: a function that fills it}: each cache the course writes that a lesson's run can find empty"
    from dlcourse.tools.data import digits_path
    from dlcourse.tools.huggingface import minilm_path
    from dlcourse.tools.model_speed import benchmark_models
    from dlcourse.tools.models import INSTALLED, installed_weights
    return {'the installed weights, converted': lambda: [installed_weights(arch) for arch in INSTALLED],
            'MiniLM, extracted': minilm_path, 'the digits, as images': digits_path,
            "lesson 3's benchmark table": lambda: benchmark_models(['test_vit'], 'cpu', quiet=True)}


@pytest.mark.parametrize('what', ['the installed weights, converted', 'MiniLM, extracted', 'the digits, as images',
                                  "lesson 3's benchmark table"])
def test_filling_a_cache_leaves_the_seeded_generators_alone(tmp_path, monkeypatch, what):
    "Each cache, filled from empty after a seed (as a lesson's first run fills it) and then found full, draws nothing"
    from fastai.torch_core import set_seed
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    fill = fills()[what]
    set_seed(42)
    before = generators()
    fill()
    assert any(tmp_path.iterdir()), f"{what}: nothing was written to the cache"
    assert generators() == before, f"{what}, filled, moved a seeded random generator"
    fill()
    assert generators() == before, f"{what}, found, moved a seeded random generator"


@pytest.mark.slow
def test_lesson2_checks_the_same_cold_and_then_warm(lesson_run, tmp_path):
    """The session's run of lesson 2 started from empty caches (the installed weights not yet converted); run again on
    the caches it filled, it prints the same numbers, and both check as the same"""
    from dlcourse.tools.check import Exit, check_notebook
    cold = lesson_run('02_training.ipynb')
    weights = os.path.join(cold.caches['XDG_CACHE_HOME'], 'dlcourse', 'weights', 'tf_efficientnet_lite0')
    assert os.path.isdir(weights), "the cold run converted the installed weights into its own cache"
    course = course_copy(tmp_path/'course')
    warm = LessonRun(course/'clean/02_training.ipynb', course/'clean', env={**SUITE_CPU, **cold.caches},
                     lesson=course/'nbs/02_training.ipynb')
    try: report = check_notebook(warm.save())
    finally: warm.close()
    print('cold:', cold.report.summary(), '\nwarm:', report.summary())   # shown with pytest -rP
    assert cold.report.exit_status == report.exit_status == Exit.SAME, str(report)
    shown = ('loss, err = learn.validate()', 'probs, targs = learn.get_preds()', 'learn.predict(img)\npred, idx',
             'dict(zip(categories, map(float, probs)))')
    for code in shown:
        assert cell_text(warm.nb, code) == cell_text(cold.nb, code), code


@pytest.mark.slow
@pytest.mark.parametrize('name', LESSONS)
def test_untouched_clean_copy_checks_cold_on_another_cpu(tmp_path, name):
    """A learner's first run: the clean copy, untouched, in a new copy of the course (no models/, empty caches), run
    with `dlcourse-check --run` on a CPU without vector instructions and with one thread, is never told it made a
    mistake: every cell matches the lesson, or waits on an exercise still to write (exit status 4)"""
    course = course_copy(tmp_path/'course')
    env = {**os.environ, **OTHER_CPU, **cold_caches(tmp_path/'caches')}
    r = subprocess.run([cmd('dlcourse-check'), f'clean/{name}', '--run'], cwd=course, env=env, capture_output=True,
                       text=True)
    print(r.stdout)   # shown with pytest -rP
    summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr
    assert r.returncode == (4 if name in EXERCISES else 0), r.stdout[-4000:] + r.stderr[-2000:]
    assert 'differ' not in summary and 'not run' not in summary, summary
    if name in EXERCISES: assert 'to write' in summary, summary


def test_lesson2s_split_does_not_depend_on_the_order_the_file_system_lists_files(monkeypatch):
    "fastai's get_image_files lists a folder in os.walk's order, which differs between machines: the split does not"
    from dlcourse.tools.data import validation_files
    ours = validation_files()
    walk = os.walk
    def backwards(*args, **kwargs):
        for top, dirs, files in walk(*args, **kwargs):
            dirs.reverse()
            yield top, dirs, files[::-1]
    monkeypatch.setattr(os, 'walk', backwards)
    assert validation_files() == ours
    from fastai.data.transforms import get_image_files
    from dlcourse.tools.data import pets_sample_path
    assert list(get_image_files(pets_sample_path())) != sorted(get_image_files(pets_sample_path())), \
        "the reversed walk lists the files in another order"
