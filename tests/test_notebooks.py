"The tools notebooks run with their unit checks; lesson 1's slider plots are saved as pictures and redraw headless."
import base64, subprocess
import pytest
from fastcore.nbio import read_nb
from course import ROOT, cmd, title_band, drawn, LESSON1


@pytest.mark.slow
def test_every_tools_notebook_runs():
    "nbdev's own runner over nbs/tools/, the notebooks the tooling is written in, with their unit checks"
    r = subprocess.run([cmd('nbdev-test'), '--n-workers', '2', 'nbs/tools'], cwd=ROOT, capture_output=True, text=True,
                       timeout=1200)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert 'Success' in r.stdout


def test_lesson1_interactive_plots_saved_as_images():
    "Each slider plot is saved with a PNG of its first state, for viewers where widgets do not run"
    plots = [o for c in read_nb(LESSON1).cells if c.cell_type == 'code' for o in c.outputs
             if ''.join(o.get('data', {}).get('text/plain', '')).startswith('LivePlot(')]
    assert len(plots) == 4
    for o in plots: assert o['data'].get('image/png'), o['data']['text/plain']
    quad, quad_mse = (base64.b64decode(''.join(o['data']['image/png'])) for o in plots[:2])
    assert (title_band(quad_mse) != title_band(quad)).any(), "the second quadratic plot shows its loss from the start"


@pytest.mark.slow
def test_lesson1_quadratic_sliders_redraw_with_loss(lesson1):
    title, img, _ = drawn(lesson1, 'plot_quad', a=1.1, b=1.1, c=1.1)     # as the lesson starts it
    assert title.startswith('MSE: ')
    moved, img2, _ = drawn(lesson1, 'plot_quad', a=3.0, c=1.0)
    assert moved.startswith('MSE: ') and moved != title
    assert img2 != img and (title_band(img2) != title_band(img)).any()
    assert float(moved.split()[1]) < float(title.split()[1]), "closer to the data: lower loss"


@pytest.mark.slow
def test_lesson1_double_relu_sliders_redraw(lesson1):
    _, img, n = drawn(lesson1, 'plot_double_relu', m1=-1.5)
    _, img2, n2 = drawn(lesson1, 'plot_double_relu', m1=0.5)
    assert img2 != img and n2 == n + 1
    assert lesson1.value('len(plot_double_relu.ax.lines)') == 1
