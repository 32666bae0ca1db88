"""How soon `dlcourse-app` answers when it has nothing to serve, measured in one run: its `--help`, its one-line
error for a missing model, and beside them the import of what serving needs (fastai, torch, Gradio), which the
command used to pay before saying anything. Each figure is the median of `--runs` fresh processes.

Run: .venv/bin/python bench/app_start.py [--runs 5]
"""
import argparse, statistics, subprocess, sys, tempfile, time
from pathlib import Path

APP = str(Path(sys.executable).parent/'dlcourse-app')


def seconds(cmd, runs, want_rc) -> float:
    "The median wall time of `runs` runs of `cmd`, each checked to exit with `want_rc`"
    res = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        res.append(time.perf_counter() - t)
        assert p.returncode == want_rc, (cmd, p.returncode, p.stderr[-500:])
    return statistics.median(res)


def main(runs=5):
    with tempfile.TemporaryDirectory() as d:
        missing = str(Path(d)/'no_model')
        help_s = seconds([APP, '--help'], runs, 0)
        error_s = seconds([APP, missing], runs, 1)
        serve_s = seconds([sys.executable, '-c', 'import fastai.vision.all, gradio'], runs, 0)
    print(f"dlcourse-app --help:              {help_s:.2f} s")
    print(f"dlcourse-app with no model:       {error_s:.2f} s (one-line error, exit 1)")
    ratio = serve_s / max(help_s, error_s)
    print(f"importing fastai, torch, Gradio:  {serve_s:.2f} s ({ratio:.0f}x the slower of the two)")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=5)
    main(ap.parse_args().runs)
