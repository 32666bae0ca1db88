"""Lessons 2 and 6's training recipes on this machine: the error rate (lesson 6: the accuracy) and seconds per epoch.
Each runs the lesson's clean copy in a Jupyter kernel up to its result, as tests/test_machine.py's GPU tests do,
offline, on the GPU where PyTorch sees one (--cpu hides it): lesson 2 as saved (EfficientNet-Lite0 fine-tuned from its
ImageNet weights, `to_fp16()`); lesson 2 from random weights (the digits at 32 px, ConvNeXt, `pretrained = no`, which
trains in full precision); lesson 6 (all-MiniLM-L6-v2 fine-tuned on the words, then on the sentences, `fp16` where
CUDA is). Seconds per epoch are the time column of each results table.
Run: .venv/bin/python bench/recipes.py [--cpu]"""
import argparse, re, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from course import lesson_upto   # noqa: E402  (the tests' lesson runs)

OFFLINE = {'DLCOURSE_OFFLINE': '1', 'HF_HUB_OFFLINE': '1'}
SCRATCH = {'DLCOURSE_DATASET': 'digits', 'DLCOURSE_IMG_SIZE': '32', 'DLCOURSE_PRETRAINED': 'no',
           'DLCOURSE_ARCH': 'convnext_tiny_in22k'}


def epoch_seconds(nb, code) -> list:
    "The seconds of each epoch in the results tables that the code cell containing `code` showed"
    cell = next(c for c in nb.cells if c.cell_type == 'code' and code in c.source)
    text = ' '.join(str(o.get('text', '')) + str(o.get('data', {}).get('text/html', '')) for o in cell.outputs)
    return [int(m) * 60 + int(s) for m, s in re.findall(r'\b(\d\d):(\d\d)\b', text)]


def lesson2(folder, env, what):
    "Lesson 2 up to its error rate: a line of figures"
    r = lesson_upto(folder, '02_training.ipynb', 'loss, err = learn.validate()', env)
    try:
        assert not r.errors(), r.errors()
        device, fp16, err = r.value("[str(dls.device), any(type(cb).__name__ == 'MixedPrecision' "
                                    "for cb in learn.cbs), float(err)]")
        secs = epoch_seconds(r.nb, 'learn.fine_tune(s.epochs')
    finally: r.close()
    on = f"on {device}{', to_fp16()' if fp16 else ''}"
    return f"lesson 2, {what} {on}: error rate {err:.3f}; seconds per epoch {secs}"


def lesson6(folder, env):
    "Lesson 6 up to its accuracy on the sentences: two lines of figures"
    r = lesson_upto(folder, '06_nlp.ipynb', "acc = {'trained on words'", env)
    try:
        assert not r.errors(), r.errors()
        device, fp16, words, sents = r.value(
            "[str(trainer.args.device), trainer.args.fp16, [h['eval_accuracy'] for h in trainer.state.log_history "
            "if 'eval_accuracy' in h][1], float(acc['trained on sentences'])]")
        secs = epoch_seconds(r.nb, 'trainer = fine_tune(model, dds)'), epoch_seconds(r.nb, 'sent_trainer = fine_tune(')
    finally: r.close()
    on = f"on {device}{', fp16' if fp16 else ''}"
    return [f"lesson 6, all-MiniLM-L6-v2 on the words {on}: accuracy {words:.3f}; seconds per epoch {secs[0]}",
            f"lesson 6, the same on the sentences {on}: accuracy {sents:.3f}; seconds per epoch {secs[1]}"]


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--cpu', action='store_true', help="hide the GPU (CUDA_VISIBLE_DEVICES='')")
    env = {**OFFLINE, **({'CUDA_VISIBLE_DEVICES': ''} if p.parse_args().cpu else {})}
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        print(lesson2(Path(d)/'as-saved', env, 'EfficientNet-Lite0 from its ImageNet weights (as saved)'), flush=True)
        print(lesson2(Path(d)/'scratch', {**env, **SCRATCH}, 'ConvNeXt from random weights, digits at 32 px'),
              flush=True)
        print(*lesson6(Path(d)/'nlp', env), sep='\n')
    print(f"({time.monotonic() - start:.0f} s in all)")
