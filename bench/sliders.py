"""Slider redraw benchmark, all figures measured in one run.

Compares, for lesson 1's quadratic-with-loss plot at the same size and dpi:
- the straightforward `@interact` redraw: a new figure, `plt.scatter`, `plt.plot` (via `plot_function`), rendered to
  PNG;
- the course's `LivePlot`: one figure reused, only the curve and title redrawn, rendered to PNG;
and counts the renders after a burst of 50 slider changes for each.

Run: .venv/bin/python bench/sliders.py
"""
import contextlib, io, statistics, time
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import torch
import ipywidgets as widgets
from dlcourse.tools.liveplot import LivePlot
from dlcourse.neural_net_basics import plot_function, mk_quad, add_noise, mse

FIGSIZE, DPI, N = (5, 3.5), 100, 30
torch.manual_seed(42)
x = torch.linspace(-2, 2, steps=20)[:, None]
y = add_noise(mk_quad(3, 2, 1)(x), 0.15, 1.5)
values = [dict(a=1.1 + i/20, b=1.1 - i/40, c=1.1 + i/30) for i in range(N)]


def straightforward(a, b, c):
    "What `@interact` with plain pyplot does on every change"
    fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
    plt.scatter(x, y)
    f = mk_quad(a, b, c)
    plot_function(f, f"MSE: {mse(f(x), y):.2f}", ylim=(-3, 13))
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def draw(a, b, c, ax):
    f = mk_quad(a, b, c)
    plot_function(f, f"MSE: {mse(f(x), y):.2f}", ylim=(-3, 13), ax=ax)


def median_ms(fn, reps=3):
    "Median milliseconds of `fn(v)` over all `values`, best of `reps` passes"
    best = []
    for _ in range(reps):
        ts = []
        for v in values:
            t = time.perf_counter(); fn(v); ts.append(time.perf_counter() - t)
        best.append(statistics.median(ts) * 1000)
    return min(best)


def main():
    live = LivePlot(draw, setup=lambda ax: ax.scatter(x, y), figsize=FIGSIZE, dpi=DPI, a=1.1, b=1.1, c=1.1)
    straightforward(**values[0]); live._render(values[0])   # warm-up: fonts, caches
    def live_move(v):
        for k, val in v.items(): live.controls[k].value = val
        live.wait()
    t_naive = median_ms(lambda v: straightforward(**v))
    t_live_render = median_ms(live._render)
    t_live = median_ms(live_move)
    png = lambda data: (len(data), data[:8] == b'\x89PNG\r\n\x1a\n')
    print(f"PNG size at {FIGSIZE} in, {DPI} dpi: straightforward {png(straightforward(**values[0]))[0]} bytes, "
          f"LivePlot {len(live.image.value)} bytes")
    print(f"time per update (median of {N}):")
    print(f"  straightforward (new figure + scatter + plot + PNG): {t_naive:7.1f} ms")
    print(f"  LivePlot redraw (reused figure, curve + title + PNG): {t_live_render:7.1f} ms")
    print(f"  LivePlot slider move -> PNG in the widget (thread):  {t_live:7.1f} ms")
    print(f"  speed-up per update: {t_naive / t_live:.2f}x (redraw alone {t_naive / t_live_render:.2f}x)")

    # A burst of 50 changes, as fast as the kernel receives them.
    burst = [round(1.1 + i * 0.04, 2) for i in range(1, 51)]
    calls = []
    with contextlib.redirect_stdout(io.StringIO()):   # outside Jupyter, interact clears its output with terminal codes
        naive = widgets.interactive(lambda a, b, c: calls.append(straightforward(a, b, c)), a=1.1, b=1.1, c=1.1)
        calls.clear()
        t = time.perf_counter()
        for v in burst: naive.children[0].value = v
        t_naive_burst = time.perf_counter() - t
    n0 = live.renders
    t = time.perf_counter()
    for v in burst: live.controls['a'].value = v
    live.wait()
    t_live_burst = time.perf_counter() - t
    print("burst of 50 slider changes of a:")
    print(f"  straightforward @interact: {len(calls)} renders, settled after {t_naive_burst*1000:.0f} ms")
    print(f"  LivePlot:                  {live.renders - n0} renders, settled after {t_live_burst*1000:.0f} ms "
          f"(last value drawn: {live.title})")


if __name__ == '__main__': main()
