"""Slider latency in the browser, JupyterLab end to end, measured in one run.

JupyterLab (as `make lab` starts it) serves a temporary notebook with the same plot two ways: the course's `LivePlot`
(`interact_plot`) and the straightforward `@interact` that draws a new matplotlib figure per update, both 5x3.5 in at
100 dpi. Headless Chromium (the system's, driven by Playwright) moves their sliders with the keyboard and times, in the
page, from the key press to the moment the new image is in the page:
- the median over 30 single moves;
- a burst of 20 quick moves: the renders it causes, and the time from the last key press until the plot settles.

Run: .venv/bin/python bench/browser_sliders.py   (needs Chromium: apt-get install chromium)
"""
import statistics, sys, tempfile
from pathlib import Path
import nbformat
from nbformat.v4 import new_notebook, new_code_cell
from dlcourse.tools.browser import chromium

sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from lab import jupyterlab, open_notebook, run_all   # noqa: E402  (the tests' JupyterLab driving)

SETUP = """import torch, matplotlib.pyplot as plt
from ipywidgets import interact
from dlcourse.tools.liveplot import interact_plot
from dlcourse.neural_net_basics import plot_function, mk_quad, add_noise, mse
torch.manual_seed(42)
x = torch.linspace(-2, 2, steps=20)[:, None]
y = add_noise(mk_quad(3, 2, 1)(x), 0.15, 1.5)"""
HELPER = """@interact_plot(a=1.1, b=1.1, c=1.1, setup=lambda ax: ax.scatter(x, y))
def helper(a, b, c, ax):
    f = mk_quad(a, b, c)
    plot_function(f, f"MSE: {mse(f(x), y):.2f}", ylim=(-3, 13), ax=ax)
helper"""
PLAIN = """@interact(a=1.1, b=1.1, c=1.1)
def plain(a, b, c):
    plt.figure(figsize=(5, 3.5), dpi=100)
    plt.scatter(x, y)
    f = mk_quad(a, b, c)
    plot_function(f, f"MSE: {mse(f(x), y):.2f}", ylim=(-3, 13))
    plt.show()"""

OBSERVE = """([name, root, mode]) => {
  window.__draws = window.__draws || {}; window.__keys = window.__keys || {};
  window.__draws[name] = []; window.__keys[name] = [];
  root.addEventListener('keydown', () => window.__keys[name].push(performance.now()), true);
  new MutationObserver(muts => {
    const img = n => n.nodeType === 1 && (n.tagName === 'IMG' || n.querySelector && n.querySelector('img'));
    const drawn = mode === 'src' ? muts.some(m => m.type === 'attributes' && m.attributeName === 'src')
                                 : muts.some(m => Array.from(m.addedNodes).some(img));
    if (drawn) window.__draws[name].push(performance.now());
  }).observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


LAST_LATENCY = "n => window.__draws[n][window.__draws[n].length-1] - window.__keys[n][window.__keys[n].length-1]"


def measure(page, name, root, mode, moves=30, burst=20):
    "(median single-move latency ms, renders after the burst, ms from the burst's last key press to the last render)"
    page.evaluate(OBSERVE, [name, root.element_handle(), mode])
    handle = root.locator('.noUi-handle').first
    handle.scroll_into_view_if_needed(); handle.focus()
    lat = []
    for i in range(moves):
        n = page.evaluate("n => window.__draws[n].length", name)
        page.keyboard.press('ArrowRight' if i % 2 == 0 else 'ArrowLeft')
        page.wait_for_function("([n, k]) => window.__draws[n].length > k", arg=[name, n], timeout=30_000)
        lat.append(page.evaluate(LAST_LATENCY, name))
        page.wait_for_timeout(250)
    page.wait_for_timeout(1000)
    n0 = page.evaluate("n => window.__draws[n].length", name)
    for i in range(burst): page.keyboard.press('ArrowRight' if i < burst // 2 else 'ArrowLeft', delay=0)
    last, stable = -1, 0
    while stable < 8:                          # settled: no new render for 2 s
        page.wait_for_timeout(250)
        n = page.evaluate("n => window.__draws[n].length", name)
        stable, last = (stable + 1, last) if n == last else (0, n)
    renders = last - n0
    settle = page.evaluate(LAST_LATENCY, name)
    return statistics.median(lat), renders, settle


def main():
    with tempfile.TemporaryDirectory() as d:
        nb = new_notebook(cells=[new_code_cell(SETUP), new_code_cell(HELPER), new_code_cell(PLAIN)],
                          metadata={'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}})
        nbformat.write(nb, str(Path(d)/'bench.ipynb'))
        with jupyterlab(d) as lab, chromium() as browser:
            page = browser.new_page()
            open_notebook(page, lab, 'bench.ipynb')
            run_all(page)
            helper = page.locator('.dlcourse-liveplot')
            plain = page.locator('.widget-interact')
            h = measure(page, 'helper', helper, 'src')
            p = measure(page, 'plain', plain, 'img')
    print("slider move -> new plot in the page (JupyterLab, headless Chromium, same machine):")
    print(f"  straightforward @interact (new figure per update): median {p[0]:6.1f} ms over 30 moves")
    print(f"  course helper (interact_plot / LivePlot):          median {h[0]:6.1f} ms over 30 moves")
    print(f"  helper faster per move: {p[0] / h[0]:.2f}x")
    print("burst of 20 quick moves:")
    for what, m in (('straightforward:', p), ('helper:', h)):
        print(f"  {what:<16} {m[1]:2d} renders, settled {m[2]:7.1f} ms after the last key press "
              f"({m[2] / m[0]:.1f} redraws' time)")


if __name__ == '__main__': main()
