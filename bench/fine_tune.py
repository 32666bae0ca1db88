"""Lesson 2's fine-tuning, with and without `KeepBnStats`, against the same model from random weights, in one run.

On the default settings (the pet photos, `tf_efficientnet_lite0` from its installed ImageNet weights), each recipe on
the same data loaders and seed: `fine_tune(epochs)` keeping the body's BatchNorm statistics (the lesson's),
`fine_tune(epochs)` in fastai's default training mode (the statistics drift), and `fit_one_cycle(epochs + 1, 1e-2)`
from random weights. Prints the error rate after each epoch and the seconds an epoch took, for each of `--seeds` (the
split changes with the seed).

Run: .venv/bin/python bench/fine_tune.py [--seeds 42 1 7]
"""
import argparse, time
from dataclasses import replace
from dlcourse.tools.output import quiet_output
from dlcourse.tools.data import course_dls
from dlcourse.tools.models import model_kwargs, KeepBnStats
from dlcourse.tools.settings import course_settings
from fastai.vision.all import vision_learner, error_rate, set_seed, Callback, Recorder


class ErrorHistory(Callback):
    "The error rate after each training epoch of a learner's fits (`fine_tune`'s frozen one too), in `errors`"
    order = Recorder.order + 1
    def __init__(self): self.errors, self.fitting = [], False
    def before_fit(self): self.fitting = True
    def after_fit(self): self.fitting = False
    def after_epoch(self):   # `validate` has an epoch too, outside any fit
        if self.fitting: self.errors.append(self.recorder.log[self.recorder.metric_names.index('error_rate')])


def run(s, recipe):
    "Error rate after each epoch and seconds per epoch of one `recipe` on settings `s`"
    set_seed(s.seed, reproducible=True)
    kw = model_kwargs(s.arch, s) if recipe != 'random' else dict(pretrained=False)
    learn, history = vision_learner(course_dls(s), s.arch, metrics=error_rate, **kw), ErrorHistory()
    start = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if recipe == 'random': learn.fit_one_cycle(s.epochs + 1, 1e-2, cbs=history)
        else: learn.fine_tune(s.epochs, cbs=[history] + ([KeepBnStats()] if recipe == 'kept' else []))
    return history.errors, (time.perf_counter() - start) / len(history.errors)


def main(seeds=(42,)):
    quiet_output()
    base = course_settings()
    print(f"{base.arch} on {base.dataset} at {base.img_size} px, batch size {base.batch_size}, "
          f"{base.epochs + 1} epochs each")
    for seed in seeds:
        s = replace(base, seed=seed)
        for recipe in ('kept', 'drifting', 'random'):
            errors, secs = run(s, recipe)
            print(f"seed {seed:>3}  {recipe:<9} error rate after each epoch: "
                  f"{', '.join(f'{e:.3f}' for e in errors)}   {secs:.1f} s an epoch", flush=True)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[42, 1, 7])
    main(p.parse_args().seeds)
