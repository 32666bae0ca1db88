"""Single-image inference benchmark for lesson 2's model (the lean predict path), all measured in one run.

Three ways to get probabilities for one image, on the same images:
- `learn.predict(img)`: fastai's general path (a one-item DataLoader, callbacks, decoding);
- `LeanPredictor.probs(img)`: the same preprocessing (the validation item and batch transforms) applied directly, then
  the model;
- `model(x)`: the bare forward pass (and softmax) on an already prepared tensor.
Plus the largest difference in probabilities between the lean path and `learn.predict`, and batch throughput.

Run: .venv/bin/python bench/inference.py [--img-size 64] [--arch convnext_tiny_in22k] [--n 50]
The model comes from the default lesson settings (an exported and reloaded Learner; its weights do not change the
timing).
"""
import argparse, statistics, tempfile, time
from pathlib import Path
import torch
from dlcourse.tools.data import course_dls
from dlcourse.tools.models import model_kwargs
from dlcourse.tools.predict import LeanPredictor
from dlcourse.tools.settings import course_settings
from fastai.vision.all import vision_learner, error_rate, load_learner, set_seed
from dataclasses import replace


def interleaved_median_ms(fns, items, reps=3):
    "Median milliseconds of each of `fns` (name -> (fn, items)), timed in turn on every item, so drift hits all alike"
    ts = {k: [] for k in fns}
    for _ in range(reps):
        for i in range(len(items)):
            for k, (fn, its) in fns.items():
                t = time.perf_counter(); fn(its[i]); ts[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) * 1000 for k, v in ts.items()}


def main(img_size=64, arch=None, n=50, threads=None):
    if threads: torch.set_num_threads(threads)
    s = course_settings()
    s = replace(s, img_size=img_size, arch=arch or s.arch, pretrained='no')
    set_seed(s.seed)
    dls = course_dls(s)
    learn = vision_learner(dls, s.arch, metrics=error_rate, **model_kwargs(s.arch, s))
    with tempfile.TemporaryDirectory() as d:
        learn.export(Path(d)/'model.pkl')
        learn = load_learner(Path(d)/'model.pkl')
    lean = LeanPredictor(learn)
    imgs = [dls.valid_ds.items[i] for i in range(n)]
    xs = [lean.prepare(f) for f in imgs]
    model = learn.model.eval()
    def bare(x):
        with torch.inference_mode(): return model(x).softmax(-1)
    with learn.no_bar():
        for f, x in zip(imgs[:3], xs[:3]): learn.predict(f); lean.probs(f); bare(x)   # warm-up
        diff = max(float((lean.probs(f) - learn.predict(f)[2]).abs().max()) for f in imgs)
        t = interleaved_median_ms(dict(predict=(learn.predict, imgs), lean=(lean.probs, imgs), bare=(bare, xs)), imgs)
    t_predict, t_lean, t_bare = t['predict'], t['lean'], t['bare']
    print(f"{s.arch} at {img_size} px, CPU, {torch.get_num_threads()} threads, {n} validation images")
    print("single-image latency (median):")
    print(f"  learn.predict     {t_predict:7.2f} ms   {t_predict / t_bare:.2f}x the bare forward")
    print(f"  LeanPredictor     {t_lean:7.2f} ms   {t_lean / t_bare:.2f}x the bare forward")
    print(f"  model(x), bare    {t_bare:7.2f} ms")
    print(f"largest probability difference, lean vs learn.predict: {diff:.2e}")
    batch = torch.cat(xs)
    t = time.perf_counter(); reps = 3
    for _ in range(reps): bare(batch)
    bare_ips = reps * len(xs) / (time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(reps): torch.cat([lean.prepare(f) for f in imgs]); bare(batch)
    lean_ips = reps * len(xs) / (time.perf_counter() - t)
    with learn.no_bar():
        dl = learn.dls.test_dl(imgs, bs=len(imgs), num_workers=0)
        t = time.perf_counter()
        for _ in range(reps): learn.get_preds(dl=dl)
        preds_ips = reps * len(xs) / (time.perf_counter() - t)
    print(f"batch throughput ({len(xs)} images per batch): learn.get_preds {preds_ips:.0f} img/s, "
          f"lean (prepare + forward) {lean_ips:.0f} img/s, bare forward {bare_ips:.0f} img/s")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--img-size', type=int, default=64)
    p.add_argument('--arch', default=None)
    p.add_argument('--n', type=int, default=50)
    p.add_argument('--threads', type=int, default=None)
    a = p.parse_args()
    main(a.img_size, a.arch, a.n, a.threads)
