"""The course on a learner's machine: the offline switch holds against a network that answers; the pretrained path runs
end to end with weights in the cache (a stand-in checkpoint, nothing downloaded), on a dataset the settings name, and
dlcourse-check names them; a GPU, where there is one."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
from fastcore.nbio import read_nb
from course import (ROOT, NETWORK_UP, LessonRun, cell_text, cmd, course_copy, lesson_upto, make_image_folder,
                    outputs_text, short_notebook, standin_checkpoint, tables)

DECIDE = '''
import os
from dlcourse.tools.base import reachable
print(reachable('huggingface.co'))
os.environ['DLCOURSE_OFFLINE'] = '1'
from dlcourse.tools.models import pretrained_available
from dlcourse.tools.machine import online_section
print(reachable('huggingface.co'))
pretrained_available('convnext_tiny_in22k')
online_section('huggingface.co', 'the IMDB section')
'''


def saved_text(lesson, start):
    "What the lesson's one code cell starting with `start` was saved with, as dlcourse-check reads it"
    from dlcourse.tools.compare import cell_outputs
    cells = read_nb(ROOT/'nbs'/lesson).cells
    hits = [cell_outputs(c).text for c in cells if c.cell_type == 'code' and c.source.startswith(start)]
    assert len(hits) == 1, start
    return hits[0]


def test_offline_switch_holds_against_a_network_that_answers(tmp_path):
    """With a stand-in network that answers (as a connected machine's does), `reachable` says yes; with
    DLCOURSE_OFFLINE=1 the decisions the network changes in lessons 2 and 6 print what the lessons were saved with.
    (DLCOURSE_TEST_NETWORK=up runs the whole suite on that stand-in.)"""
    env = dict(os.environ, PYTHONPATH=str(NETWORK_UP), HF_HUB_CACHE=str(tmp_path/'hub'))
    env.pop('DLCOURSE_OFFLINE')
    r = subprocess.run([sys.executable, '-c', DECIDE], env=env, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.strip().splitlines()
    assert lines[:2] == ['True', 'False'], "the stand-in answers; the switch wins"
    assert lines[2] == ('pretrained = auto: no weights for convnext_tiny_in22k in the cache and no network, '
                        'so training from scratch')
    assert lines[3] == saved_text('06_nlp.ipynb', 'online =')


LESSON2_CELLS = ('s = start_lesson()', 'dataset_path(s.dataset)', 'label = ', 'len(dls.train_ds)',
                 'learn = vision_learner(dls, s.arch', 'learn.fine_tune(s.epochs, cbs=KeepBnStats())', 'learn.export(',
                 'learn.get_preds()', "learn = load_learner('model.pkl')")
LESSON4_CELLS = ('quiet_output()', 'learn = load_learner(l',
                 'def classify_image(img):\n    pred, idx, probs = learn.predict(img)\n'
                 '    return dict(zip(categories, map(float, probs)))', 'examples = [',
                 'valid = validation_files()',
                 'probs = classify_image(img)', 'from safetensors.torch import save_file',
                 'model, _ = create_timm_model(', 'export_safe(learn)')


@pytest.fixture(scope='module')
def pretrained_course(tmp_path_factory):
    """The cells of lessons 2 and 4's clean copies that train, export and load a model, run in a kernel as a learner
    who chose the lecture's convnext_tiny_in22k, with its weights in their cache, would (on four classes of small
    generated images, one epoch), each saved and checked: only settings and the cache differ
    from the lessons' runs"""
    d = tmp_path_factory.mktemp('pretrained')
    f = standin_checkpoint(d/'hub', 'convnext_tiny_in22k')
    course = course_copy(d/'course')
    data = make_image_folder(d/'colours', classes=('blue', 'green', 'red', 'yellow'), n=4)
    env = dict(HF_HUB_CACHE=str(d/'hub'), DLCOURSE_DATASET=str(data), DLCOURSE_EPOCHS='1', DLCOURSE_IMG_SIZE='32',
               DLCOURSE_BATCH_SIZE='8', DLCOURSE_ARCH='convnext_tiny_in22k')
    runs = {}
    for name, cells in (('02_training.ipynb', LESSON2_CELLS), ('04_deploy.ipynb', LESSON4_CELLS)):
        nb = short_notebook(course/'clean'/name, course/'clean'/name, *cells)
        r = runs[name] = LessonRun(nb, course/'clean', env)
        r.save()
        r.check = subprocess.run([cmd('dlcourse-check'), str(r.path)], env=dict(os.environ, **env), capture_output=True,
                                 text=True, cwd=course)
    yield course, f, runs
    for r in runs.values(): r.close()


@pytest.mark.slow
def test_lesson2_fine_tunes_the_cached_pretrained_weights(pretrained_course):
    _, f, runs = pretrained_course
    r = runs['02_training.ipynb']
    assert not r.errors(), r.errors()
    assert cell_text(r.nb, 'learn = vision_learner(dls, s.arch') == \
        "pretrained = auto: using convnext_tiny_in22k's pretrained weights, from the Hugging Face cache"
    assert tables(r.nb, 'learn.fine_tune(s.epochs') == [1, 1], "fine_tune: the frozen epoch, then the whole model"
    norm = r.value("[(type(t).__name__, t.mean.flatten().tolist()) for t in learn.dls.after_batch.fs "
                   "if hasattr(t, 'mean')]")
    assert norm == [['Normalize', pytest.approx([0.485, 0.456, 0.406], abs=1e-6)]], "fastai's ImageNet normalisation"
    from safetensors import safe_open
    with safe_open(str(f), 'pt') as sf: want = float(sf.get_tensor('stem.0.weight').flatten()[0])
    first = "[float(w) for w in load_learner('model.pkl').model[0].model.stem[0].weight.flatten()[:1]]"
    assert r.value(first) != [want], "fine-tuned: the weights moved from the checkpoint's"
    pred = r.value('[str(pred), float(probs.sum())]')
    assert pred[0] in ('blue', 'green', 'red', 'yellow') and pred[1] == pytest.approx(1, abs=1e-4)


@pytest.mark.slow
def test_another_dataset_from_settings(pretrained_course):
    "Lesson 2 reads the dataset the settings name; lesson 4's kernel loads its model"
    _, _, runs = pretrained_course
    classes = ['blue', 'green', 'red', 'yellow']
    assert runs['02_training.ipynb'].value('list(dls.vocab)') == classes
    assert runs['04_deploy.ipynb'].value('list(learn.dls.vocab)') == classes


@pytest.mark.slow
def test_check_names_the_settings_and_exits_3(pretrained_course):
    course, _, runs = pretrained_course
    c = runs['02_training.ipynb'].check
    assert c.returncode == 3, c.stdout[-3000:] + c.stderr
    first = c.stdout.splitlines()[0]
    assert first.startswith("Your settings differ from the lesson's: "), first
    assert "epochs = 1 (the lesson's: 2)" in first and "arch = convnext_tiny_in22k (the lesson's: " in first
    assert f"dataset = {course.parent/'colours'} (the lesson's: " in first
    assert 'the lesson was saved without them' not in first, "the lesson saved no ConvNeXt run to compare with"
    last = c.stdout.strip().splitlines()[-1]
    assert 'as expected with your settings (arch, ' in last and last.endswith(': not mistakes.'), last


@pytest.mark.slow
def test_lesson4_exports_the_pretrained_model_safely(pretrained_course):
    course, _, runs = pretrained_course
    r = runs['04_deploy.ipynb']
    assert not r.errors(), r.errors()
    assert cell_text(r.nb, 'learn = load_learner(l').startswith(
        "model.pkl: notebook 02's convnext_tiny_in22k, trained from pretrained weights on this machine (cpu)")
    meta = json.loads((course/'models/model.json').read_text())
    assert meta['normalize']['mean'] == pytest.approx([0.485, 0.456, 0.406], abs=1e-6)
    assert r.value("bool(torch.equal(safe, pickled))"), "the weights saved as safetensors predict as the pickle"
    c = r.check
    assert c.returncode in (0, 3), c.stdout[-3000:]
    if c.returncode == 3: assert 'arch = convnext_tiny_in22k' in c.stdout.splitlines()[0], c.stdout.splitlines()[0]


def _gpu(machine_env) -> bool:
    "Does PyTorch see a GPU with this machine's own settings (the tests hide it from the lessons)?"
    if not (Path('/dev/nvidiactl').exists() or shutil.which('nvidia-smi')): return False   # no NVIDIA driver at all
    r = subprocess.run([sys.executable, '-c', 'import torch; print(torch.cuda.is_available())'], env=machine_env,
                       capture_output=True, text=True)
    return r.stdout.strip() == 'True'


def same_training(gpu, cpu, n) -> bool:
    """Are the GPU's error rate (or accuracy) `gpu` and the CPU's `cpu`, each on `n` validation items, what two runs of
    the same training give: apart by at most three standard errors of their difference (the two-proportion test),
    and never closer than one item?"""
    p = min(max((gpu + cpu) / 2, 1 / n), 1 - 1 / n)
    return abs(gpu - cpu) <= max(3 * (2 * p * (1 - p) / n) ** 0.5, 1 / n)


def test_same_training_tells_noise_from_a_broken_training():
    "Lesson 2 on 74 photos: 2 or 5 wrong for the CPU's 1 is noise (as other CPUs gave); 43 wrong is not"
    assert same_training(2 / 74, 1 / 74, 74) and same_training(5 / 74, 1 / 74, 74)
    assert not same_training(43 / 74, 1 / 74, 74)
    assert same_training(0.031, 0.022, 359) and not same_training(0.582, 0.022, 359)   # #33's digits, fp32 and fp16


SCRATCH = "[next(scratch.model.parameters()).device.type, " \
          "any(type(cb).__name__ == 'MixedPrecision' for cb in scratch.cbs), " \
          "float(scratch.validate()[1]), len(dls.valid_ds)]"
TRAINED = "[next(learn.model.parameters()).device.type, dls.one_batch()[0].device.type, " \
          "any(type(cb).__name__ == 'MixedPrecision' for cb in learn.cbs), float(err), len(dls.valid_ds)]"


@pytest.mark.gpu
@pytest.mark.slow
def test_lesson2_trains_on_the_gpu(tmp_path, machine_env):
    """On a GPU machine: lesson 2's clean copy up to its error rate trains there in half precision (`to_fp16()`),
    and its error rate is another run of the CPU's (the saved lesson's)"""
    if not _gpu(machine_env): pytest.skip("no GPU here: lesson 2's GPU training is checked on machines with one")
    r = lesson_upto(tmp_path/'course', '02_training.ipynb', 'loss, err = learn.validate()',
                {'CUDA_VISIBLE_DEVICES': machine_env.get('CUDA_VISIBLE_DEVICES')})
    try:
        assert not r.errors(), r.errors()
        assert cell_text(r.nb, 's = start_lesson()').startswith('Training on a GPU: ')
        device, batches, fp16, err, n = r.value(TRAINED)
        assert [device, batches, fp16] == ['cuda', 'cuda', True]
        cpu = float(saved_text('02_training.ipynb', 'loss, err = learn.validate()').split(': ')[1])
        assert same_training(err, cpu, n), f"error rate {err:.3f} on the GPU, {cpu:.3f} on the CPU"
    finally: r.close()


@pytest.mark.gpu
@pytest.mark.slow
def test_lesson2_from_random_weights_trains_on_the_gpu(tmp_path, machine_env):
    """On a GPU machine: lesson 2's model from random weights (its "Pretrained or random?" section, on the digits at
    32 px) trains in full precision there, and its error rate is another run of the same training on the CPU (in fp16,
    at that learning rate, a GPU once left such a model 0.58 wrong)"""
    if not _gpu(machine_env): pytest.skip("no GPU here: lesson 2's GPU training is checked on machines with one")
    env, res = {'DLCOURSE_DATASET': 'digits', 'DLCOURSE_IMG_SIZE': '32'}, {}
    for device, visible in (('gpu', machine_env.get('CUDA_VISIBLE_DEVICES')), ('cpu', '')):
        r = lesson_upto(tmp_path/device/'course', '02_training.ipynb', 'scratch.fit_one_cycle(',
                        {**env, 'CUDA_VISIBLE_DEVICES': visible})
        try:
            assert not r.errors(), r.errors()
            res[device] = r.value(SCRATCH)
        finally: r.close()
    assert res['gpu'][:2] == ['cuda', False] and res['cpu'][:2] == ['cpu', False], res
    (_, _, gpu, n), cpu = res['gpu'], res['cpu'][2]
    assert same_training(gpu, cpu, n), f"error rate {gpu:.3f} on the GPU, {cpu:.3f} on the CPU"


@pytest.mark.gpu
@pytest.mark.slow
def test_lesson6_trains_on_the_gpu(tmp_path, machine_env):
    """On a GPU machine: lesson 6's fine-tunings run in fp16 there, and their accuracies are other runs of the CPU's
    (the saved lesson's, the same on every CPU variant): on the words, and on the film-review sentences"""
    if not _gpu(machine_env): pytest.skip("no GPU here: lesson 6's GPU training is checked on machines with one")
    r = lesson_upto(tmp_path/'course', '06_nlp.ipynb', "acc = {'trained on words'",
                {'CUDA_VISIBLE_DEVICES': machine_env.get('CUDA_VISIBLE_DEVICES')})
    try:
        assert not r.errors(), r.errors()
        got = r.value("[trainer.args.fp16, next(trainer.model.parameters()).device.type, len(dds['test']), "
                      "len(sent_dds['test']), [h['eval_accuracy'] for h in trainer.state.log_history "
                      "if 'eval_accuracy' in h][1], float(acc['trained on sentences'])]")
    finally: r.close()
    fp16, device, n_words, n_sents, words, sents = got
    assert (fp16, device) == (True, 'cuda')
    cpu_words = float(saved_text('06_nlp.ipynb', 'trainer = fine_tune(model, dds)').split()[-2])
    cpu_sents = float(saved_text('06_nlp.ipynb', "acc = {'trained on words'").split("'trained on sentences': ")[1][:5])
    assert same_training(words, cpu_words, n_words), f"accuracy {words:.3f} on the GPU, {cpu_words:.3f} on the CPU"
    assert same_training(sents, cpu_sents, n_sents), f"accuracy {sents:.3f} on the GPU, {cpu_sents:.3f} on the CPU"
