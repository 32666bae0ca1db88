"""Training overhead benchmark for lesson 2 (fastai against a plain PyTorch loop), measured in one run.

One epoch of fastai training (`fit_one_cycle(1)` on the unfrozen model: one epoch of `fine_tune`'s main phase, with
fastai's callbacks, metrics and validation) against a plain PyTorch loop over the same model architecture and starting
weights, the same DataLoaders, batch size, optimiser (Adam, one-cycle schedule) and a validation pass with the error
rate.

Run: .venv/bin/python bench/training.py [--img-size 32] [--arch convnext_tiny_in22k] [--reps 2]
"""
import argparse, copy, time
import torch, torch.nn.functional as F
from dataclasses import replace
from dlcourse.tools.data import course_dls
from dlcourse.tools.models import model_kwargs
from dlcourse.tools.settings import course_settings
from fastai.vision.all import vision_learner, error_rate, set_seed


def plain_epoch(model, dls, lr):
    "One epoch the plain PyTorch way: Adam with a one-cycle schedule, then validation with the error rate"
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), eps=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=len(dls.train))
    model.train()
    for xb, yb in dls.train:
        xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)   # fastai's typed tensors, as plain ones
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step(); opt.zero_grad(); sched.step()
    model.eval()
    wrong = total = 0
    with torch.no_grad():
        for xb, yb in dls.valid:
            xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)
            wrong += (model(xb).argmax(1) != yb).sum().item(); total += len(yb)
    return wrong / total


def main(img_size=32, arch=None, reps=2, lr=1e-3):
    s = course_settings()
    s = replace(s, img_size=img_size, arch=arch or s.arch, pretrained='no')
    set_seed(s.seed)
    dls = course_dls(s)
    learn = vision_learner(dls, s.arch, metrics=error_rate, **model_kwargs(s.arch, s))
    learn.unfreeze()
    start = copy.deepcopy(learn.model.state_dict())
    fastai_t, plain_t = [], []
    for _ in range(reps):   # alternate, so that drift in the machine's speed hits both alike
        learn.model.load_state_dict(start)
        t = time.perf_counter()
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, lr)
        fastai_t.append(time.perf_counter() - t)
        learn.model.load_state_dict(start)
        t = time.perf_counter()
        err = plain_epoch(learn.model, dls, lr)
        plain_t.append(time.perf_counter() - t)
    f, p = min(fastai_t), min(plain_t)
    print(f"{s.arch} at {img_size} px from scratch, {len(dls.train_ds)} training images, batch size {s.batch_size}, "
          f"CPU {torch.get_num_threads()} threads")
    print(f"one epoch (training + validation), best of {reps}:")
    print(f"  fastai fit_one_cycle(1): {f:6.1f} s")
    print(f"  plain PyTorch loop:      {p:6.1f} s   (its error rate after the epoch: {err:.3f})")
    print(f"  ratio fastai / plain:    {f / p:.2f}x")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--img-size', type=int, default=32)
    ap.add_argument('--arch', default=None)
    ap.add_argument('--reps', type=int, default=2)
    a = ap.parse_args()
    main(a.img_size, a.arch, a.reps)
