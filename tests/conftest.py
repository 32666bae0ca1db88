"""The tests' fixtures, and the programs their markers need. Every lesson, command and kernel the tests start takes
the offline CPU path that the lessons' outputs were saved on (`OFFLINE_CPU`), whatever this machine has: no downloads,
no GPU. With DLCOURSE_TEST_NETWORK=up, a stand-in network answers every connection to another host (tests/network_up/),
to show that nothing changes."""
import os, shutil, sys, tempfile, time
from pathlib import Path

# the environment before the tests changed it, for the tests that use this machine's GPU
MACHINE_ENV = dict(os.environ)
# The tests start cold, as a learner's first run does: the course's and Hugging Face's caches are the session's own,
# empty at its start (set before any library reads where its cache is), so that no test passes on this machine's cache
SESSION_CACHES = Path(tempfile.mkdtemp(prefix='dlcourse-test-caches-'))
os.environ.update(XDG_CACHE_HOME=str(SESSION_CACHES/'xdg'), HF_HOME=str(SESSION_CACHES/'huggingface'))

import pytest   # noqa: E402
from dlcourse.tools.base import OFFLINE_CPU   # noqa: E402
from course import ROOT, NETWORK_UP, SUITE_CPU, LessonRun, cold_caches, course_copy   # noqa: E402

os.environ.update(OFFLINE_CPU)
if os.environ.get('DLCOURSE_TEST_NETWORK') == 'up':
    os.environ['PYTHONPATH'] = os.pathsep.join(filter(None, [str(NETWORK_UP), os.environ.get('PYTHONPATH')]))
    sys.path.insert(0, str(NETWORK_UP)); import sitecustomize   # noqa: E402,F401  (this process too)


def _chromium():
    from dlcourse.tools.browser import find_chromium
    return find_chromium()


def _hub():
    from dlcourse.tools.classroom import find_proxy
    return os.geteuid() == 0 and find_proxy()


def _soffice():
    from dlcourse.tools.spreadsheet import find_soffice
    return find_soffice()


# marker: (finds the program, the variable with which .ci/run requires it, the program, how to install it)
PROGRAMS = {
    'browser': (_chromium, 'DLCOURSE_REQUIRE_BROWSER', 'Chromium', 'apt-get install chromium'),
    'libreoffice': (_soffice, 'DLCOURSE_REQUIRE_LIBREOFFICE', 'LibreOffice',
                    'apt-get install --no-install-recommends libreoffice-calc-nogui'),
    'hub': (_hub, 'DLCOURSE_REQUIRE_HUB', "root, Node.js and JupyterHub's proxy", 'make class-proxy, as root'),
}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    "Skip a test marked with a program's marker where the program is missing (one line); fail where .ci/run needs it"
    for name in {m.name for m in item.iter_markers()} & set(PROGRAMS):
        found, required, program, install = PROGRAMS[name]
        if found(): continue
        if os.environ.get(required) == '1': pytest.fail(f"no {program}, and {required}=1 (.ci/run) requires it")
        pytest.skip(f"no {program} on this machine ({install})")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    "Every test that runs a lesson through `lesson_run` is slow, marked or not"
    for item in items:
        if 'lesson_run' in getattr(item, 'fixturenames', ()): item.add_marker(pytest.mark.slow)


@pytest.fixture(scope='session')
def machine_env():
    "This machine's environment before the tests put everything on the offline CPU path, for the tests of its GPU"
    return MACHINE_ENV


@pytest.fixture
def repo_copy(tmp_path):
    "A copy of what nbdev and dlcourse-clean read and write: nbs/, lib/, clean/, pyproject.toml, settings.ini"
    dst = course_copy(tmp_path/'repo')
    shutil.copytree(ROOT/'lib', dst/'lib', ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(ROOT/'README.md', dst/'README.md')
    return dst


LESSON_NEEDS = {'04_deploy.ipynb': ['02_training.ipynb']}   # lesson 4 deploys the model lesson 2 exports
LESSON_SECONDS = {}   # each session run's time, for the summary at the end
LESSON_CHECKS = {}    # dlcourse-check's summary of each session run
PROGRAM_SECONDS = []  # the time of the tests that need Chromium or LibreOffice (setup, call and teardown)
SESSION_START = []


def pytest_sessionstart(session): SESSION_START.append(time.monotonic())


def pytest_sessionfinish(session): shutil.rmtree(SESSION_CACHES, ignore_errors=True)


def pytest_runtest_logreport(report):
    if set(PROGRAMS) & set(report.keywords): PROGRAM_SECONDS.append(report.duration)


def pytest_terminal_summary(terminalreporter):
    """How long each lesson's one run took, and their sum; the suite's own time against it, once the browser and
    LibreOffice tests' time is taken off"""
    if not LESSON_SECONDS: return
    lessons, programs = sum(LESSON_SECONDS.values()), sum(PROGRAM_SECONDS)
    runs = ', '.join(f"{name[:2]} {secs:.0f} s" for name, secs in sorted(LESSON_SECONDS.items()))
    cpu = ' '.join(f'{k}={v}' for k, v in SUITE_CPU.items())
    terminalreporter.write_line(f"lesson runs ({cpu}): {runs}; sum {lessons:.0f} s")
    for name, summary in sorted(LESSON_CHECKS.items()): terminalreporter.write_line(f"  {name[:2]} checks: {summary}")
    if len(LESSON_SECONDS) < 6: return
    suite = time.monotonic() - SESSION_START[0]
    terminalreporter.write_line(f"suite: {suite:.0f} s, of which browser and LibreOffice tests {programs:.0f} s; "
                                f"the rest is {(suite - programs) / lessons:.2f} times the lesson runs' sum")


@pytest.fixture(scope='session')
def course(tmp_path_factory):
    "The session's copy of the course, where each lesson runs once (models/ written by lesson 2 serves lesson 4)"
    return course_copy(tmp_path_factory.mktemp('course'))


@pytest.fixture(scope='session')
def lesson_run(course):
    """`lesson_run(name)`: the clean copy of lesson `name`, run once per test session in a Jupyter kernel as a learner
    runs it in JupyterLab, on the CPU variant `SUITE_CPU`, from empty caches of its own (`r.caches`), with the
    lesson's `#| hide` cells (its unit checks) run at their places, and saved as JupyterLab saves it; then
    dlcourse-check's report of it against the lesson. The clean copy holds the lesson's code without the `#| hide`
    cells (tests/test_sync.py), so this one run serves the lesson, its unit checks and its clean copy."""
    from dlcourse.tools.check import check_notebook
    runs = {}
    def run(name):
        if name not in runs:
            for dep in LESSON_NEEDS.get(name, []): run(dep)
            start = time.monotonic()
            caches = cold_caches(course/'caches'/name)
            r = LessonRun(course/'clean'/name, course/'clean', env={**SUITE_CPU, **caches}, lesson=course/'nbs'/name)
            r.caches = caches
            LESSON_SECONDS[name] = time.monotonic() - start
            r.course, r.report = course, check_notebook(r.save())
            LESSON_CHECKS[name] = r.report.summary()
            runs[name] = r
        return runs[name]
    yield run
    for r in runs.values(): r.close()


@pytest.fixture(scope='session')
def lesson1(lesson_run):
    "Lesson 1's session run"
    return lesson_run('01_neural_net_basics.ipynb')