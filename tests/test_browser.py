"""JupyterLab in a real browser (headless system Chromium, driven by Playwright): lesson 1's sliders move its plots; a
clean copy made by dlcourse-clean shows no outputs or prose, runs, and checks against its lesson; lesson 5's matrix
multiplication steps with Play and its slider. Screenshots go to artifacts/e2e/."""
import base64, re, subprocess, time
import nbformat, pytest
from fastcore.nbio import read_nb
from dlcourse.tools.browser import chromium
from course import ROOT, build_nb, cmd, course_copy, drawn, short_notebook, solve, title_band
from lab import command, jupyterlab, open_notebook, run_all, run_cell, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ART = ROOT/'artifacts'/'e2e'
CURRENT = '.jp-NotebookPanel:not(.lm-mod-hidden)'   # the notebook in the visible tab
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@pytest.fixture(scope='module')
def browser():
    with chromium() as ctx: yield ctx


# the cells of lesson 1 that its four slider plots need: the session's run of the whole lesson serves the rest
SLIDERS = ('from functools import partial', 'def plot_function(', 'def f(x): return',
           'def quad(a, b, c, x)', 'def mk_quad(', 'def noise(x, scale)', 'y = add_noise(f(x)',
           'def scatter_points(ax)', 'def mse(preds, acts)', 'def quad_mse(params', 'quad_mse([a, b, c], x, y)',
           'def rectified_linear(',
           'def plot_relu(', 'def double_relu(', 'def plot_double_relu(')


@pytest.fixture(scope='module')
def lab(tmp_path_factory, browser):
    "JupyterLab serving a temporary copy of the course (lessons, clean copies, default settings, lesson 1's sliders)"
    repo = course_copy(tmp_path_factory.mktemp('course'))
    short_notebook(repo/'nbs/01_neural_net_basics.ipynb', repo/'nbs/sliders.ipynb', *SLIDERS)
    ART.mkdir(parents=True, exist_ok=True)
    with jupyterlab(repo, log=ART/'jupyterlab.log') as lab: yield lab


FETCH_PNG = """async img => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let s = ''; bytes.forEach(b => s += String.fromCharCode(b)); return btoa(s);
}"""
CHANGED = "([img, src]) => img.getAttribute('src') !== src"


def picture(plot):
    "The PNG that `plot` shows in the page, as bytes"
    return base64.b64decode(plot.locator('img.widget-image').evaluate(FETCH_PNG))


def slider_values(plot): return [float(h.get_attribute('aria-valuenow')) for h in plot.locator('.noUi-handle').all()]


def until_shows(page, plot, ok, what, timeout=20):
    "Wait until the picture `plot` shows passes `ok(png)`, looking again at each redraw; return it"
    from playwright.sync_api import TimeoutError as PageTimeout
    img, deadline = plot.locator('img.widget-image'), time.monotonic() + timeout
    while True:
        src, png = img.get_attribute('src'), picture(plot)
        if ok(png): return png
        left = deadline - time.monotonic()
        try: page.wait_for_function(CHANGED, arg=[img.element_handle(), src], timeout=max(left, 0.001) * 1000)
        except PageTimeout: pytest.fail(f"the page does not show {what}")


def shows_title_of(page, plot, lesson1, name):
    "Wait until the page shows the title band that `name` in the session's lesson 1 draws for the page's sliders"
    keys, drew = lesson1.value(f"list({name}.controls)"), {}
    def same_title(png):
        drew['title'], want, _ = drawn(lesson1, name, **dict(zip(keys, slider_values(plot))))
        return (title_band(png) == title_band(want)).all()
    until_shows(page, plot, same_title, f"the title {name} draws for the page's slider values")
    return drew['title']


def move_slider(page, plot, index, presses=5):
    "Focus slider number `index` of `plot`, press the right arrow key `presses` times, and wait for a new picture"
    img = plot.locator('img.widget-image')
    src = img.get_attribute('src')
    handle = plot.locator('.noUi-handle').nth(index)
    handle.scroll_into_view_if_needed()
    before = handle.get_attribute('aria-valuenow')
    handle.focus()
    for _ in range(presses): page.keyboard.press('ArrowRight')
    assert handle.get_attribute('aria-valuenow') != before
    page.wait_for_function(CHANGED, arg=[img.element_handle(), src], timeout=20_000)


def test_lesson1_sliders_move_the_plots(lab, browser, lesson1):
    "Lesson 1's slider plots, run in JupyterLab, draw what the session's run of lesson 1 draws for the same values"
    page = browser.new_page()
    open_notebook(page, lab, 'nbs/sliders.ipynb')
    page.screenshot(path=ART/'01-opened.png')
    run_all(page)
    plots = page.locator(CURRENT).locator('.dlcourse-liveplot')
    assert plots.count() == 4
    assert page.locator(STDERR).count() == 0
    quad = plots.nth(1)                      # the quadratic with its loss in the title
    quad.scroll_into_view_if_needed()
    page.screenshot(path=ART/'01-ran.png')
    first = picture(quad)
    assert (title_band(first) < 128).any(), "the first picture has a title"
    title = shows_title_of(page, quad, lesson1, 'plot_quad')        # the title is read from the picture itself
    assert re.fullmatch(r'MSE: \d+\.\d\d', title)
    move_slider(page, quad, 0)               # a
    moved = shows_title_of(page, quad, lesson1, 'plot_quad')
    assert re.fullmatch(r'MSE: \d+\.\d\d', moved) and moved != title
    assert (title_band(picture(quad)) != title_band(first)).any()
    quad.screenshot(path=ART/'01-quadratic-moved.png')
    double = plots.nth(3)                    # double_relu: m1, b1, m2, b2
    move_slider(page, double, 0)
    double.screenshot(path=ART/'01-double-relu-moved.png')


TINY = ['md:# A tiny lesson\n\nProse that the clean copy leaves out.',
        'from dlcourse.tools.liveplot import interact_plot\nx = 6 * 7\nx',
        'md:## Sums\n\nMore prose.',
        'print(sum(range(x)))',
        '#| hide\nassert x == 42',
        'md:## A slider',
        '@interact_plot(a=1.0)\ndef line(a, ax): ax.plot([0, 1], [0, a])\nline']


@pytest.fixture(scope='module')
def tiny(lab):
    "A tiny lesson in the served course's nbs/, saved with its outputs, and its clean copy (dlcourse-clean's) in clean/"
    from dlcourse.tools.kernel import save_outputs
    lesson = lab.root/'nbs/00_tiny.ipynb'
    build_nb(TINY, lesson)
    save_outputs(lesson, timeout=120)
    r = subprocess.run([cmd('dlcourse-clean'), str(lesson), '--dest', 'clean'], cwd=lab.root, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    return 'clean/00_tiny.ipynb'


def test_clean_copy_shows_no_outputs_runs_and_checks(lab, browser, tiny):
    "A clean copy shows headings and code only; run in JupyterLab and saved, its last cell, check(), passes it"
    page = browser.new_page()
    open_notebook(page, lab, tiny)
    nb = page.locator(CURRENT)
    code = [c for c in read_nb(lab.root/tiny).cells if c.cell_type == 'code']
    assert nb.locator('.jp-CodeCell').count() == len(code) == 4, "the lesson's code but its hidden cell, and check()"
    assert nb.locator('.jp-OutputArea-output').count() == 0
    tags = nb.evaluate("""panel => Array.from(panel.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown'))
                                    .map(e => Array.from(e.children).map(c => c.tagName))""")
    assert 'P' in tags[0], "the first cell states the exercise"
    assert tags[1:] == [['H1'], ['H2'], ['H2']], tags
    page.screenshot(path=ART/'clean-opened.png')
    run_all(page)                            # the last cell, check(), has JupyterLab save the notebook, then checks it
    assert nb.locator(STDERR).count() == 0
    assert nb.locator('.dlcourse-liveplot').count() == 1
    out = report_shown(page)
    report = out.text_content()
    out.scroll_into_view_if_needed()
    page.screenshot(path=ART/'clean-checked.png')
    assert 'everything you ran matches the lesson' in report, report[-1500:]
    assert '2 same, 1 not comparable' in report, "the slider plot is a live widget"


CHECKED = f"""() => {{ const cells = document.querySelectorAll('{CURRENT} .jp-CodeCell');
  const out = cells.length && cells[cells.length - 1].querySelector('.jp-OutputArea');
  return out && out.textContent.trim() && !out.textContent.includes('saving this notebook'); }}"""


def report_shown(page, timeout=60_000):
    "The output area of the current notebook's last cell, once check() has saved it and shown its report there"
    page.wait_for_function(CHECKED, timeout=timeout, polling=100)
    return page.locator(CURRENT).locator('.jp-CodeCell').last.locator('.jp-OutputArea-output')


# run `code` in the kernel of the open notebook at `path`, keeping the text of the displays it updates later
IN_KERNEL_OF = """([path, code]) => {
  const w = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.context && w.context.path === path);
  const kernel = w.sessionContext.session.kernel;
  if (!window.dlcourseUpdates) {
    window.dlcourseUpdates = [];
    kernel.iopubMessage.connect((_, msg) => { if (msg.header.msg_type === 'update_display_data')
                                                window.dlcourseUpdates.push(msg.content.data['text/plain']); });
  }
  return kernel.requestExecute({code}).done.then(() => true);
}"""


def test_check_behind_another_tab_saves_neither_notebook(lab, browser):
    """check() run by a notebook's kernel while another notebook's tab is in front: JupyterLab's save command saves the
    tab in front, so check() saves nothing, neither that tab nor its own notebook"""
    behind, front = lab.root/'clean/00_behind.ipynb', lab.root/'clean/00_front.ipynb'
    for f in (behind, front): build_nb(['x = 1', 'print(x)'], f)
    page = browser.new_page()
    open_notebook(page, lab, 'clean/00_behind.ipynb')
    command(page, 'docmanager:open', path='clean/00_front.ipynb')
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.context.path === 'clean/00_front.ipynb'")
    wait_idle(page)
    before = [f.stat().st_mtime_ns for f in (behind, front)]
    for code in ('x = 1', 'from dlcourse.tools.check import check\ncheck()'):   # a run the file lacks, then check()
        page.evaluate(IN_KERNEL_OF, ['clean/00_behind.ipynb', code])
    page.wait_for_function("() => window.dlcourseUpdates.length > 0", timeout=20_000)
    said = page.evaluate("() => window.dlcourseUpdates")
    assert said == ["check(): another tab is in front in JupyterLab, not this notebook, and you have run cells since "
                    "you last saved: save it (Ctrl+S), then run check() again"], said
    time.sleep(1)
    assert [f.stat().st_mtime_ns for f in (behind, front)] == before


def opens_on_click(details, inner, text):
    "`inner`, inside the closed element `details`, shows only once its summary is clicked, and then holds `text`"
    from playwright.sync_api import expect
    expect(inner).to_be_hidden()
    details.locator('summary').first.click()
    expect(inner).to_be_visible()
    assert text in inner.text_content()


CONTRAST = """e => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => rgb(c).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
                         .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const s = getComputedStyle(e), [a, b] = [lum(s.color), lum(s.backgroundColor)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_run_all_ends_in_the_report_with_nothing_saved_by_hand(lab, browser):
    """Clean lesson 1 with every exercise written, opened in JupyterLab and run with Run All, Ctrl+S never pressed: its
    last output is check()'s report, everything matching, and the file holds the run that check() read"""
    nb = nbformat.read(lab.root/'clean/01_neural_net_basics.ipynb', as_version=4)
    solve(nb, nbformat.read(lab.root/'nbs/01_neural_net_basics.ipynb', as_version=4).cells)
    path = lab.root/'clean/01_run_all.ipynb'
    nbformat.write(nb, path)
    page = browser.new_page()
    open_notebook(page, lab, 'clean/01_run_all.ipynb')
    start = time.monotonic()
    run_all(page)
    ran = time.monotonic()
    out = report_shown(page)
    print(f"Run All {ran - start:.1f} s; check() saved and showed its report {time.monotonic() - ran:.1f} s later")
    report = out.text_content()
    assert 'everything you ran matches the lesson' in report, report[:1500]
    assert 'Exercises: mse passes, mae passes, quad_mse passes, gd_step passes, rectified_linear passes.' in report
    saved = [c for c in read_nb(path).cells if c.cell_type == 'code']
    assert all(c.get('execution_count') for c in saved), "the saved file holds every cell's run"
    out.scroll_into_view_if_needed()
    page.screenshot(path=ART/'run-all-report.png')


def test_run_all_on_an_untouched_copy_goes_on_to_the_report(lab, browser):
    """Clean lesson 1 as a learner finds it, no function written: Run All goes on past the cells that raise the hints'
    errors (JupyterLab would stop at the first), and the last output is check()'s report: nothing is a mistake, the
    cells that use the functions wait on them"""
    page = browser.new_page()
    open_notebook(page, lab, 'clean/01_neural_net_basics.ipynb')
    run_all(page)
    report = report_shown(page).text_content()
    assert 'cells wait on exercises; everything else you ran matches the lesson.' in report, report[:1500]
    assert ('Exercises: mse to write, mae to write, quad_mse to write, gd_step to write, rectified_linear to write.'
            in report)
    assert 'differ' not in report.split('.dlc-report')[0]


def test_check_shows_the_difference_and_the_lessons_words(lab, browser):
    """Clean lesson 1, run in JupyterLab with another learning rate in one cell: check()'s report, after Run All, opens
    that cell's row with the lesson's picture, the learner's and where they differ, and the lesson's words on the
    learning rate one click away, readable in the dark theme too; after another run of a cell, it saves and checks
    again"""
    from playwright.sync_api import expect
    nb = nbformat.read(lab.root/'clean/01_neural_net_basics.ipynb', as_version=4)
    solve(nb, nbformat.read(lab.root/'nbs/01_neural_net_basics.ipynb', as_version=4).cells)
    [lr] = [c for c in nb.cells if c.source.startswith('lrs = [0.01, 0.05, 0.2, 0.25]')]
    lr.source = lr.source.replace('0.2,', '0.1,')
    nbformat.write(nb, lab.root/'clean/01_mine.ipynb')
    page = browser.new_page()
    page.set_viewport_size({'width': 1200, 'height': 1000})
    open_notebook(page, lab, 'clean/01_mine.ipynb')
    run_all(page)
    out = report_shown(page)
    row = out.locator('details.dlc-cell[open]', has_text='lrs = [0.01, 0.05, 0.1, 0.25]')
    expect(row).to_have_count(1)
    assert out.locator('details.dlc-cell[open]').count() == 1, "only the changed cell differs"
    imgs = [i.get_attribute('src') for i in row.locator('.dlc-images img').all()]
    assert len(imgs) == 3 and imgs[0] != imgs[1], "the lesson's picture, the learner's, where they differ"
    opens_on_click(row.locator('details.dlc-explain'), row.locator('.dlc-prose'),
                   'Why 0.01? Too small and we need many steps')
    row.scroll_into_view_if_needed()
    page.screenshot(path=ART/'check-report.png')
    report = out.locator('.dlc-report')
    assert report.evaluate(CONTRAST) >= 7
    command(page, 'apputils:change-theme', theme='JupyterLab Dark')
    try:
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'")
        page.wait_for_selector('#jupyterlab-splash', state='detached')
        page.wait_for_function(f"() => ({CONTRAST})(document.querySelector('.dlc-report')) >= 7", timeout=10_000)
        page.screenshot(path=ART/'check-report-dark.png')
    finally: command(page, 'apputils:change-theme', theme='JupyterLab Light')
    run_cell(page, 3)                        # another run of a cell, not saved
    run_cell(page)
    assert 'save it' not in report_shown(page).text_content()
    expect(out.locator('details.dlc-cell[open]', has_text='lrs = [0.01, 0.05, 0.1, 0.25]')).to_have_count(1)


SOURCE = "() => window.jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource()"
WRONG_MSE = 'def mse(preds, acts):\n    "Mean squared error between predictions and actual values"\n' \
            '    return (preds - acts).abs().mean()'


def write_cell(page, starts, source):
    "Type `source` over the code of the current notebook's cell that starts with `starts`, as a learner does"
    cell = page.locator(CURRENT).locator('.jp-CodeCell', has=page.locator('.cm-line', has_text=starts)).first
    cell.locator('.cm-content').click()
    page.keyboard.press('Control+A')
    page.keyboard.insert_text(source)
    assert page.evaluate(SOURCE) == source




def test_an_exercise_written_wrong_fails_with_its_message_and_the_cells_using_it_wait(lab, browser):
    """Clean lesson 1 in JupyterLab with every exercise written but `mse`, which the learner types in as the mean
    absolute error: check() shows that exercise failed with its test's sentence, `quad_mse` and the cells that use `mse`
    waiting on it, and the lesson's `mse` behind a closed "Show the lesson's code"; written right, it passes and every
    cell matches"""
    from playwright.sync_api import expect
    nb = nbformat.read(lab.root/'clean/01_neural_net_basics.ipynb', as_version=4)
    solve(nb, nbformat.read(lab.root/'nbs/01_neural_net_basics.ipynb', as_version=4).cells, but=('mse',))
    nbformat.write(nb, lab.root/'clean/01_exercise.ipynb')
    page = browser.new_page()
    page.set_viewport_size({'width': 1200, 'height': 1000})
    open_notebook(page, lab, 'clean/01_exercise.ipynb')
    write_cell(page, 'def mse(preds, acts):', WRONG_MSE)
    run_all(page)
    out = report_shown(page)
    rows = out.locator('details.dlc-exercise')
    assert [c.text_content() for c in rows.locator('summary code').all()] == ['mse', 'mae', 'quad_mse',
                                                                             'gd_step', 'rectified_linear']
    row, quad = rows.nth(0), rows.nth(2)
    expect(row).to_have_attribute('open', '')
    assert 'fails' in row.locator('summary').first.text_content()
    assert ('`mse` of [1, 3] against [2, 1] (errors -1 and 2) should be 2.5, got 1.5'
            in row.locator('.dlc-detail').text_content())
    assert 'waits on the exercise mse' in quad.text_content()
    waiting = out.locator('details.dlc-cell:not(.dlc-exercise)', has_text='waits on the exercise mse')
    assert waiting.count() >= 5, out.text_content()[-3000:]
    assert out.locator('details.dlc-cell[open]:not(.dlc-exercise)').count() == 0, "waiting cells are no mistakes"
    opens_on_click(row.locator('details.dlc-lesson-code'), row.locator('details.dlc-lesson-code pre'),
                   'return ((preds - acts)**2).mean()')
    row.scroll_into_view_if_needed()
    page.screenshot(path=ART/'exercise-fails.png')
    write_cell(page, 'def mse(preds, acts):', WRONG_MSE.replace('(preds - acts).abs()', '((preds - acts)**2)'))
    run_all(page)
    out = report_shown(page)
    report = out.text_content()
    assert 'everything you ran matches the lesson' in report, report[-1500:]
    assert 'Exercises: mse passes, mae passes, quad_mse passes, gd_step passes, rectified_linear passes.' in report
    page.screenshot(path=ART/'exercise-passes.png')


def test_lesson5_matrix_multiplication_steps_with_slider_and_play(lab, browser):
    "Lesson 5's matrix multiplication in JupyterLab: Play and the slider step it, each picture the one drawn here"
    import torch
    from playwright.sync_api import expect
    from dlcourse.tools.matmul import watch_matmul
    short_notebook(lab.root/'clean/05_spreadsheet_model.ipynb', lab.root/'clean/05_matmul.ipynb', 'import openpyxl',
                   'import warnings', 'path = titanic_xlsx()', "ws = wb['linear']", 'wv = openpyxl', 'def cells(',
                   'A, B = cells(', 'watch_matmul(A, B)')
    page = browser.new_page()
    open_notebook(page, lab, 'clean/05_matmul.ipynb')
    run_all(page)
    assert page.locator(STDERR).count() == 0
    plots = page.locator(CURRENT).locator('.dlcourse-liveplot')
    assert plots.count() == 1
    mm = plots.first
    mm.scroll_into_view_if_needed()
    A = torch.tensor([[1, 4], [2, 5], [3, 6]], dtype=torch.float64)
    B = torch.tensor([[1, 3], [2, 4]], dtype=torch.float64)
    ref = watch_matmul(A, B)
    def step_png(step):
        "The picture of `step`, drawn in this process"
        ref.controls['cell'].value = step
        assert ref.wait()
        return bytes(ref.image.value)
    def shows(step): return until_shows(page, mm, step_png(step).__eq__, f"the picture of step {step}")
    first = shows(0)
    mm.screenshot(path=ART/'05-matmul-first.png')
    handle, play = mm.locator('.noUi-handle'), mm.locator('.widget-play button').first
    play.click()                                              # Play: the slider moves by itself
    page.wait_for_function("h => Number(h.getAttribute('aria-valuenow')) >= 2", arg=handle.element_handle(),
                           timeout=20_000)
    play.click()                                              # the same button pauses
    expect(play.locator('i')).to_have_class(re.compile(r'\bfa-play\b'))
    step = int(slider_values(mm)[0])
    played = shows(step)
    handle.focus()
    page.keyboard.press('ArrowLeft')                          # the slider, one step back
    page.wait_for_function("([h, v]) => Number(h.getAttribute('aria-valuenow')) === v",
                           arg=[handle.element_handle(), step - 1], timeout=20_000)
    back = shows(step - 1)
    assert len({first, played, back}) == 3
    mm.screenshot(path=ART/'05-matmul-stepped.png')
