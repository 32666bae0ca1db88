"""Lesson 2: the notebook fine-tunes the ImageNet weights installed with the course, offline, on the pet photos, beats
the same model from scratch, exports and predicts; model.pkl loads in a process without the course; the pretrained probe
decides offline at once. (Another dataset named by the settings, an unreadable image in it: test_machine.py.)"""
import json, os, re, subprocess, sys, time, warnings
from pathlib import Path
import pytest
from course import ROOT, make_image_folder, outputs_text, cell_text, standin_checkpoint, tables
FRESH = '''
import json, sys
sys.modules['dlcourse'] = None   # as on a Hugging Face Space: the course is not installed
from fastai.vision.all import load_learner
out = []
for model, files in json.loads(sys.argv[1]):
    learn = load_learner(model)
    out.append([dict(zip(learn.dls.vocab, map(float, learn.predict(f)[2]))) for f in files])
print(json.dumps(out))
'''


def predict_in_fresh_process(*jobs):
    "Load each (model, files) of `jobs` in one new Python where the course is not installed; each one's probabilities"
    arg = json.dumps([(str(m), [str(f) for f in files]) for m, files in jobs])
    r = subprocess.run([sys.executable, '-c', FRESH, arg], capture_output=True, text=True, cwd='/')
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def default_run(lesson_run):
    "Lesson 2 as run once this session on the default settings, in the session's copy of the course (models/ is there)"
    return lesson_run('02_training.ipynb')


@pytest.mark.slow
def test_default_run_trains_exports_and_meets_the_error_bound(default_run):
    r = default_run
    assert not r.errors(), r.errors()
    assert re.search(r'epoch\s+train_loss\s+valid_loss\s+error_rate\s+time', outputs_text(r.nb))
    err = float(re.search(r'^error rate: (\d\.\d+)$', outputs_text(r.nb), re.M).group(1))
    assert err <= 0.10, f"error rate {err:.3f}"
    assert (r.course/'clean/model.pkl').stat().st_size > 1_000_000, "exported next to the lesson"


@pytest.mark.slow
def test_default_run_fine_tunes_the_installed_weights(default_run):
    """Offline, the installed ImageNet weights: the lesson says so in one line, normalises with their own statistics
    (0.5, not ImageNet's usual ones), fine-tunes (a frozen epoch, then the others) and keeps BatchNorm's statistics"""
    r = default_run
    said = cell_text(r.nb, 'learn = vision_learner(dls, s.arch')
    assert said == ("pretrained = auto: using tf_efficientnet_lite0's ImageNet weights, installed with the course "
                    "(no download)")
    assert cell_text(r.nb, 's = start_lesson()').splitlines()[0] == 'Training on the CPU: PyTorch sees no GPU'
    assert tables(r.nb, 'learn.fine_tune(s.epochs') == [1, r.value('s.epochs')], "the frozen epoch, then the others"
    norm = r.value("[(type(t).__name__, t.mean.flatten().tolist(), t.std.flatten().tolist()) "
                   "for t in learn.dls.after_batch.fs if hasattr(t, 'mean')]")
    assert norm == [['Normalize', [0.5] * 3, [0.5] * 3]], norm
    assert cell_text(r.nb, "bn = m.get_submodule('0.model.bn1')").splitlines()[-1] == '(True, False)', \
        "BatchNorm's running statistics are the file's; its weights trained"


@pytest.mark.slow
def test_pretrained_beats_random_by_a_margin(default_run):
    "Same model, photos and epochs: the pretrained one ends at most 0.10 wrong, the random one at least 0.15 worse"
    assert tables(default_run.nb, 'set_seed(s.seed, reproducible=True)\nscratch') == [default_run.value('s.epochs') + 1]
    pre, rand = default_run.value('[err, float(scratch.validate()[1])]')
    assert pre <= 0.10 and rand - pre >= 0.15, (pre, rand)


@pytest.mark.slow
def test_keeping_batchnorm_statistics_matters(default_run):
    "The same fine-tuning without KeepBnStats ends at least 0.05 worse: what the lesson's words about it say"
    assert default_run.value('float(plain.validate()[1]) - err') >= 0.05


@pytest.mark.slow
def test_architectures_compared_are_pretrained(default_run):
    "Which architecture? compares the three installed EfficientNet-Lite models, each from its ImageNet weights"
    out = outputs_text(default_run.nb)
    for n in range(3):
        assert f"using tf_efficientnet_lite{n}'s ImageNet weights, installed with the course (no download)" in out
    assert re.search(r'tf_efficientnet_lite2\s+6\.1\s+0\.\d+', out), "size and error rate (seconds: timing)"


@pytest.mark.slow
def test_lessons_split_is_the_tools_split(default_run):
    "Lesson 4 and the app take lesson 2's validation photos from the tools (validation_files): the lesson's own"
    default_run.run("from dlcourse.tools.data import validation_files")
    assert default_run.value('[str(f) for f in dls.valid_ds.items] == [str(f) for f in validation_files(s)]')


@pytest.mark.slow
def test_predict_example_is_an_unsure_one(default_run):
    "The example image is the least confident validation image, so its probabilities teach something"
    total, top = default_run.value('[float(probs.sum()), float(probs.max())]')
    assert abs(total - 1) < 1e-4 and top < 0.9, (total, top)


@pytest.fixture(scope='module')
def pets(tmp_path_factory):
    "A model.pkl (untrained) of a learner who labelled as pets are, by the breed in the file name; (it, its files)"
    from fastai.vision.all import DataBlock, ImageBlock, CategoryBlock, Resize, vision_learner
    from dlcourse.tools.data import pets_labeller
    d = tmp_path_factory.mktemp('pets')
    data = make_image_folder(d/'colours', classes=('red', 'blue'), n=4)
    files = [f.rename(d/f"{'great_pyrenees' if f.parent.name == 'red' else 'Abyssinian'}_{i}.png")
             for i, f in enumerate(sorted(data.rglob('*.png')))]
    dls = DataBlock((ImageBlock, CategoryBlock), get_items=lambda _: files, get_y=pets_labeller(),
                    item_tfms=Resize(32)).dataloaders(d, bs=4, num_workers=0)
    assert list(dls.vocab) == ['Abyssinian', 'great_pyrenees']
    vision_learner(dls, 'resnet18', pretrained=False).export(d/'model.pkl')
    return d/'model.pkl', files


@pytest.fixture(scope='module')
def fresh(default_run, pets):
    "Lesson 2's model.pkl on ten validation photos and the pets model.pkl on one image, in one fresh process"
    files = default_run.value('[str(f) for f in dls.valid_ds.items[:10]]')
    lesson2, pet = predict_in_fresh_process((default_run.course/'clean/model.pkl', files), (pets[0], pets[1][:1]))
    return files, lesson2, pet


@pytest.mark.slow
def test_model_pkl_predicts_in_a_fresh_process(fresh):
    """model.pkl needs only fastai and timm (its label function is fastai's parent_label, the course's callbacks were
    given to the fit only): it loads where dlcourse cannot"""
    files, res, _ = fresh
    right = 0
    for f, probs in zip(files, res):
        assert list(probs) == ['cat', 'dog']
        assert abs(sum(probs.values()) - 1) < 1e-4
        right += max(probs, key=probs.get) == Path(f).parent.name
    assert right >= 8, f"only {right} of 10 validation photos right"


@pytest.mark.slow
def test_pets_model_loads_where_the_course_is_not_installed(fresh):
    "A learner labelled as pets are (the breed in the file name) exports a model.pkl that needs only fastai"
    [probs] = fresh[2]
    assert list(probs) == ['Abyssinian', 'great_pyrenees'] and abs(sum(probs.values()) - 1) < 1e-4


@pytest.mark.slow
def test_classify_and_lean_path_match_predict(default_run):
    "lesson 2's classify and the tools' LeanPredictor give predict's probabilities, in the lesson's kernel"
    default_run.run("from dlcourse.training import classify\nfrom dlcourse.tools.predict import LeanPredictor\n"
                    "_lean = LeanPredictor(learn)\n"
                    "def _probs(p): return {k: float(v) for k, v in p.items()}")
    vocab = default_run.value('list(learn.dls.vocab)')
    rows = default_run.value('[(str(f), _probs(classify(learn, f)), _probs(_lean.classify(f))) '
                             'for f in dls.valid_ds.items[:20]]')
    assert len(rows) == 20
    for f, p, lean in rows:
        assert list(p) == vocab and all(v >= 0 for v in p.values()), (f, p)
        assert abs(sum(p.values()) - 1) < 1e-5, (f, p)
        assert max(abs(p[k] - v) for k, v in lean.items()) < 1e-4, (f, p, lean)


def test_pets_offline_says_why_without_waiting(tmp_path):
    env = dict(os.environ, FASTAI_HOME=str(tmp_path/'fastai'), HF_HUB_OFFLINE='1')
    t = time.perf_counter()
    code = 'from dlcourse.tools.data import dataset_path; dataset_path("pets")'
    r = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and time.perf_counter() - t < 60
    assert 'DatasetError: pets: not downloaded yet and' in r.stderr and 'cannot be reached' in r.stderr


PROBE = '''
import sys, time, torch
from dataclasses import replace
from safetensors.torch import load_file
from dlcourse.tools.settings import course_settings
from dlcourse.tools.models import model_kwargs, course_dls
from fastai.vision.all import vision_learner, error_rate
def kwargs(arch, pretrained):
    try: print(repr(model_kwargs(arch, replace(course_settings(), pretrained=pretrained, arch=arch))))
    except RuntimeError as e: print('RuntimeError:', e)
t = time.perf_counter()
kwargs('convnext_tiny_in22k', 'auto')
print(f"seconds={time.perf_counter() - t:.1f}")
kwargs('convnext_tiny_in22k', 'yes')
print('cached:')
s = replace(course_settings(), pretrained='auto', arch='resnet18')
kw = model_kwargs('resnet18', s)
print(kw['pretrained'], kw['pretrained_cfg_overlay']['file'].endswith('model.safetensors'))
learn = vision_learner(course_dls(s), 'resnet18', metrics=error_rate, **kw)
want = load_file(kw['pretrained_cfg_overlay']['file'])['conv1.weight']
print(torch.equal(learn.model[0].model.conv1.weight.detach(), want))
'''


def test_pretrained_probe_offline(tmp_path):
    """With no network (HF_HUB_OFFLINE=1), in one fresh process: pretrained = auto trains convnext_tiny_in22k from
    scratch at once when its weights are not in the cache, pretrained = yes says it contradicts the offline switch, and
    weights that are in the cache (a fake entry made by the test) are loaded"""
    standin_checkpoint(tmp_path/'hub', 'resnet18')
    env = dict(os.environ, HF_HUB_OFFLINE='1', HF_HUB_CACHE=str(tmp_path/'hub'))
    r = subprocess.run([sys.executable, '-c', PROBE], env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout.strip().splitlines()
    auto, kw, secs, yes = out[:4]
    assert auto == ('pretrained = auto: no weights for convnext_tiny_in22k in the cache and no network, so training '
                    'from scratch')
    assert kw == "{'pretrained': False}" and float(secs.split('=')[1]) < 10
    assert yes.startswith('RuntimeError: pretrained = yes and DLCOURSE_OFFLINE=1 contradict each other: '
                          'convnext_tiny_in22k has no weights in the cache'), yes
    assert out[4] == 'cached:' and out[-2:] == ['True True', 'True'], out


@pytest.mark.slow
def test_to_fp16_on_cpu_after_quiet_output(tmp_path):
    "fastai's own to_fp16() on a CPU trains in full precision; after the lesson's quiet_output() its warnings are gone"
    import torch
    from dlcourse.tools.models import course_dls, model_kwargs
    from dlcourse.tools.output import quiet_output
    from dlcourse.tools.settings import CourseSettings
    from fastai.vision.all import vision_learner, error_rate, MixedPrecision
    if torch.cuda.is_available(): pytest.skip("about training on a CPU; this machine has a GPU")
    data = make_image_folder(tmp_path/'d', n=6)
    s = CourseSettings(dataset=str(data), arch='resnet18', batch_size=4, pretrained='no')
    with warnings.catch_warnings(record=True) as caught:
        quiet_output()
        learn = vision_learner(course_dls(s), 'resnet18', metrics=error_rate, **model_kwargs('resnet18', s))
        learn = learn.to_fp16()
        with learn.no_bar(), learn.no_logging(): learn.fit(1)
    assert any(isinstance(cb, MixedPrecision) for cb in learn.cbs), "fastai's to_fp16, not a patched one"
    assert next(learn.model.parameters()).dtype == torch.float32
    noisy = [str(w.message) for w in caught
             if any(k in str(w.message) for k in ('CUDA', 'autocast', 'GradScaler', 'fp16'))]
    assert noisy == []
