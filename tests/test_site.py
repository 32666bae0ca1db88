"""The course's website (`make site`): built from nbs/ as saved, with no network at all, a page per lesson
and per tools notebook and no directive line; a notebook that cannot be read or a missing image stops the build with
one line, and the last site stays as it was; in headless Chromium every page loads with nothing fetched from
elsewhere, lesson 3's charts draw and answer a hover, the search finds lessons 1 and 5, and the menu's links all reach
their pages."""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest
from bs4 import BeautifulSoup
from dlcourse.tools.notebook import lesson_notebooks, notebooks
from dlcourse.tools.site import site_server
from course import ROOT, course_copy

ART = ROOT/'artifacts'/'site'
VENV = Path(sys.executable).parent.parent


def site_course(dst):
    "A copy of what the site is built from (nbs/, clean/, README.md, pyproject.toml) with the Makefile"
    course = course_copy(dst)
    for f in ('README.md', 'Makefile'): shutil.copy(ROOT/f, course/f)
    return course


def make_site(course):
    """`make site` in `course`, with this Python's environment (not installed again), and no network at all: every
    host it looks up or connects to is refused and written to `course/network.log` (tests/no_network/)"""
    env = dict(os.environ, DLCOURSE_NETWORK_LOG=str(course/'network.log'),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT/'tests'/'no_network'), os.environ.get('PYTHONPATH')])))
    return subprocess.run(['make', '-s', 'site', f'VENV={VENV}', '-o', f'{VENV}/.installed'], cwd=course, env=env,
                          capture_output=True, text=True)


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    "The site of a copy of the course, built by make site: (the course, its _site/)"
    course = site_course(tmp_path_factory.mktemp('site'))
    r = make_site(course)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert not (course/'network.log').exists(), "the build asked for " + (course/'network.log').read_text()
    return course, course/'_site'


def pages(site) -> list:
    "The site's pages (its _static/ holds the theme's own HTML templates too)"
    return sorted(p for p in site.rglob('*.html') if '_static' not in p.relative_to(site).parts)


def soup(page): return BeautifulSoup(page.read_text(encoding='utf-8'), 'html.parser')


def test_make_site_builds_a_page_per_lesson_and_tools_notebook(built):
    course, site = built
    lessons, tools = lesson_notebooks(course/'nbs'), notebooks(course/'nbs'/'tools')
    assert len(lessons) == 6 and len(tools) >= 20
    for nb in lessons: assert (site/'lessons'/f'{nb.stem}.html').exists(), nb.name
    for nb in tools: assert (site/'reference'/f'{nb.stem}.html').exists(), nb.name
    for page in pages(site):
        for pre in soup(page).select('pre'):
            assert not [l for l in pre.text.splitlines() if l.lstrip().startswith('#|')], page.relative_to(site)
    for nb in lessons:
        links = [a['href'] for a in soup(site/'lessons'/f'{nb.stem}.html').select('a.download')]
        assert [l for l in links if l.endswith('/' + nb.name)], f"{nb.name}: no download of its clean copy"
        assert (site/'lessons'/links[0]).resolve().read_bytes() == (course/'clean'/nb.name).read_bytes()
    home = soup(site/'index.html').text
    assert 'How to work through a notebook' in home and 'make lab' in home and 'Check your run' in home
    data = soup(site/'reference'/'data.html').text
    assert 'dataset_path(name) -> Path' in data, "the reference shows each exported function's signature"


def test_a_notebook_that_cannot_be_read_stops_the_build_and_keeps_the_last_site(tmp_path):
    course = site_course(tmp_path)
    (course/'_site').mkdir()
    (course/'_site'/'index.html').write_text('the last site')
    (course/'nbs'/'03_which_image_models.ipynb').write_text('{"cells": [')
    r = make_site(course)
    lines = [l for l in r.stderr.splitlines() if l.startswith('dlcourse-site:')]
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert lines[0] == (f"dlcourse-site: {course}/nbs/03_which_image_models.ipynb: not a valid notebook "
                        "(bad JSON: Expecting value at line 1)"), lines
    assert (course/'_site'/'index.html').read_text() == 'the last site'
    assert sorted(p.name for p in course.iterdir() if p.name.startswith('.')) == [], "no temporary folder left"


def test_a_missing_image_stops_the_build_naming_it(tmp_path):
    course = site_course(tmp_path)
    lesson = course/'nbs'/'04_deploy.ipynb'
    lesson.write_text(lesson.read_text().replace('(images/app.png)', '(images/no_such_picture.png)'))
    r = make_site(course)
    lines = [l for l in r.stderr.splitlines() if l.startswith('dlcourse-site:')]
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert '04_deploy.ipynb' in lines[0] and 'no_such_picture.png' in lines[0], lines[0]
    assert not (course/'_site').exists()


def search(page, base, words):
    "The pages the site's search lists for `words`"
    page.goto(f'{base}search.html?q={words}')
    page.wait_for_selector('#search-results ul.search li a', timeout=20_000)
    hits = page.eval_on_selector_all('#search-results ul.search li a', 'l => l.map(a => a.href)')
    return [a.split('?')[0] for a in hits]


# a page has settled once MathJax, where it runs, has typeset it all and the fonts it asked for have loaded or failed
SETTLED = """() => new Promise(done => window.MathJax && MathJax.Hub ? MathJax.Hub.Queue(done) : done())
                 .then(() => document.fonts.ready).then(() => true)"""


@pytest.mark.browser
def test_every_page_in_a_browser_fetches_nothing_from_elsewhere(built):
    from dlcourse.tools.browser import chromium
    _, site = built
    ART.mkdir(parents=True, exist_ok=True)
    with site_server(site) as base, chromium() as ctx:
        outside, errors = [], []
        ctx.route('**/*', lambda route: route.continue_() if route.request.url.startswith(base)
                  else (outside.append(route.request.url), route.abort()))
        page = ctx.new_page()
        page.set_viewport_size({'width': 1280, 'height': 900})
        page.on('console', lambda m: errors.append(f"{page.url}: {m.text}") if m.type == 'error' else None)
        page.on('pageerror', lambda e: errors.append(f"{page.url}: {e}"))
        for p in pages(site):
            page.goto(base + str(p.relative_to(site)))
            page.evaluate(SETTLED)   # what MathJax loads after the page (its fonts) logs its errors too
            broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                                   ".map(i => i.src)")
            assert not broken, f"{p.relative_to(site)}: images not loaded: {broken}"
        page.goto(base + 'index.html')
        page.screenshot(path=ART/'home.png')
        menu = page.eval_on_selector_all('nav.bd-links a.reference.internal', 'l => l.map(a => a.href)')
        assert len(menu) >= 26, menu
        for url in menu: assert page.request.get(url).ok, url
        page.goto(base + 'lessons/03_which_image_models.html')
        charts = page.locator('.plotly-graph-div')
        assert charts.count() >= 3
        for i in range(charts.count()): assert charts.nth(i).locator('svg.main-svg').count() >= 1, f"chart {i}"
        first = charts.first
        first.scroll_into_view_if_needed()
        first.locator('.scatterlayer .point').first.hover(force=True)
        page.wait_for_selector('.hoverlayer .hovertext', timeout=10_000)
        page.screenshot(path=ART/'lesson3.png')
        assert base + 'lessons/01_neural_net_basics.html' in search(page, base, 'ReLU')
        assert base + 'lessons/05_spreadsheet_model.html' in search(page, base, 'spreadsheet')
    assert not outside, outside[:10]
    assert not errors, errors[:10]
