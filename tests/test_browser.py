"""JupyterLab in a real browser (headless system Chromium, driven by Playwright): lesson 1 runs and its sliders move
the plots; its clean copy shows no outputs or prose, runs, and checks against the lesson. Screenshots go to artifacts/e2e/."""
import base64, re, time
import pytest
from dlcourse.tools.browser import chromium, jupyterlab, open_notebook, run_all, command
from helpers import ROOT, course_copy, need_chromium, title_band, drawn

ART = ROOT/'artifacts'/'e2e'
CURRENT = '.jp-NotebookPanel:not(.lm-mod-hidden)'   # the notebook in the visible tab


@pytest.fixture(scope='module')
def browser():
    need_chromium()
    with chromium() as ctx: yield ctx


@pytest.fixture(scope='module')
def lab(tmp_path_factory, browser):
    "JupyterLab serving a temporary copy of the course (lessons, clean copies, default settings)"
    repo = course_copy(tmp_path_factory.mktemp('course'))
    ART.mkdir(parents=True, exist_ok=True)
    with jupyterlab(repo, log=ART/'jupyterlab.log') as lab: yield lab


FETCH_PNG = """async img => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let s = ''; bytes.forEach(b => s += String.fromCharCode(b)); return btoa(s);
}"""

def picture(plot):
    "The PNG that `plot` shows in the page, as bytes"
    return base64.b64decode(plot.locator('img.widget-image').evaluate(FETCH_PNG))


def slider_values(plot): return [float(h.get_attribute('aria-valuenow')) for h in plot.locator('.noUi-handle').all()]


def shows_title_of(plot, lesson1, name, timeout=20):
    "Wait until the picture in the page has the title band that plot `name` of the session's lesson 1 draws for the page's slider values"
    keys, deadline = lesson1.value(f"list({name}.controls)"), time.monotonic() + timeout
    while True:
        title, png, _ = drawn(lesson1, name, **dict(zip(keys, slider_values(plot))))
        if (title_band(picture(plot)) == title_band(png)).all(): return title
        assert time.monotonic() < deadline, f"the picture in the page does not show the title {title!r}"
        time.sleep(0.2)


def move_slider(page, plot, index, presses=5):
    "Focus slider number `index` of `plot` and press the right arrow key `presses` times; return the image src before"
    img = plot.locator('img.widget-image')
    src = img.get_attribute('src')
    handle = plot.locator('.noUi-handle').nth(index)
    handle.scroll_into_view_if_needed()
    before = handle.get_attribute('aria-valuenow')
    handle.focus()
    for _ in range(presses): page.keyboard.press('ArrowRight')
    assert handle.get_attribute('aria-valuenow') != before
    page.wait_for_function("([el, src]) => el.getAttribute('src') !== src", arg=[img.element_handle(), src], timeout=20_000)
    return src


def test_lesson1_sliders_move_the_plots(lab, browser, lesson1):
    page = browser.new_page()
    open_notebook(page, lab, 'nbs/01_neural_net_basics.ipynb')
    page.screenshot(path=ART/'01-opened.png')
    run_all(page)
    plots = page.locator(CURRENT).locator('.dlcourse-liveplot')
    assert plots.count() == 4
    assert page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    quad = plots.nth(1)                      # the quadratic with its loss in the title
    quad.scroll_into_view_if_needed()
    page.screenshot(path=ART/'01-ran.png')
    first = picture(quad)
    assert (title_band(first) < 128).any(), "the first picture has a title"
    title = shows_title_of(quad, lesson1, 'plot_quad')        # the title is read from the picture itself
    assert re.fullmatch(r'MSE: \d+\.\d\d', title)
    move_slider(page, quad, 0)               # a
    moved = shows_title_of(quad, lesson1, 'plot_quad')
    assert re.fullmatch(r'MSE: \d+\.\d\d', moved) and moved != title
    assert (title_band(picture(quad)) != title_band(first)).any()
    quad.screenshot(path=ART/'01-quadratic-moved.png')
    double = plots.nth(3)                    # double_relu: m1, b1, m2, b2
    move_slider(page, double, 0)
    double.screenshot(path=ART/'01-double-relu-moved.png')


def test_clean_copy_shows_no_outputs_runs_and_checks(lab, browser):
    from fastcore.nbio import read_nb
    page = browser.new_page()
    open_notebook(page, lab, 'clean/01_neural_net_basics.ipynb')
    page.screenshot(path=ART/'clean-01-opened.png')
    nb = page.locator(CURRENT)
    want = [c for c in read_nb(ROOT/'clean/01_neural_net_basics.ipynb').cells if c.cell_type == 'code']
    assert nb.locator('.jp-CodeCell').count() == len(want) > 30
    assert nb.locator('.jp-OutputArea-output').count() == 0
    tags = nb.evaluate("""panel => Array.from(panel.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown'))
                                    .map(e => Array.from(e.children).map(c => c.tagName))""")
    assert 'P' in tags[0], "the first cell states the exercise"
    assert all(t and all(re.fullmatch('H[1-6]', x) for x in t) for t in tags[1:-1]), tags
    run_all(page)
    assert nb.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    assert nb.locator('.dlcourse-liveplot').count() == 4
    command(page, 'docmanager:save')
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.context.model.dirty === false")
    run_all(page)                            # the last cell, check(), now reads the saved outputs
    report = nb.locator('.jp-CodeCell').last.locator('.jp-OutputArea-output').text_content()
    nb.locator('.jp-CodeCell').last.scroll_into_view_if_needed()
    page.screenshot(path=ART/'clean-01-checked.png')
    assert 'everything you ran matches the lesson' in report, report[-1500:]
    assert '5 not comparable' in report, "the @interact sliders and the four slider plots"



def shows(plot, png, timeout=20):
    "Wait until the picture `plot` shows in the page is `png`, byte for byte"
    deadline = time.monotonic() + timeout
    while picture(plot) != png:
        assert time.monotonic() < deadline, "the page does not show the expected picture"
        time.sleep(0.2)
    return png


def test_lesson5_matrix_multiplication_steps_with_slider_and_play(lab, browser):
    "Lesson 5 runs in JupyterLab; Play and the slider step its matrix multiplication, each picture the one drawn here for the page's step"
    import torch
    from dlcourse.tools.matmul import watch_matmul
    page = browser.new_page()
    open_notebook(page, lab, 'nbs/05_spreadsheet_model.ipynb')
    run_all(page)
    assert page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    plots = page.locator(CURRENT).locator('.dlcourse-liveplot')
    assert plots.count() == 1
    mm = plots.first
    mm.scroll_into_view_if_needed()
    A, B = torch.tensor([[1, 4], [2, 5], [3, 6]], dtype=torch.float64), torch.tensor([[1, 3], [2, 4]], dtype=torch.float64)
    ref = watch_matmul(A, B)
    def drawn(step):
        "The picture of `step`, drawn in this process"
        ref.controls['cell'].value = step
        assert ref.wait()
        return bytes(ref.image.value)
    first = shows(mm, drawn(0))
    mm.screenshot(path=ART/'05-matmul-first.png')
    handle, play = mm.locator('.noUi-handle'), mm.locator('.widget-play button').first
    play.click()                                              # Play: the slider moves by itself
    page.wait_for_function("h => Number(h.getAttribute('aria-valuenow')) >= 2", arg=handle.element_handle(), timeout=20_000)
    play.click()                                              # the same button pauses
    page.wait_for_timeout(300)
    step = int(slider_values(mm)[0])
    played = shows(mm, drawn(step))
    handle.focus()
    page.keyboard.press('ArrowLeft')                          # the slider, one step back
    page.wait_for_function("([h, v]) => Number(h.getAttribute('aria-valuenow')) === v", arg=[handle.element_handle(), step - 1], timeout=20_000)
    back = shows(mm, drawn(step - 1))
    assert len({first, played, back}) == 3
    mm.screenshot(path=ART/'05-matmul-stepped.png')
