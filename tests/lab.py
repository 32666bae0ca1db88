"""Servers for the tests: started until they answer and stopped with their children, JupyterLab as `make lab` runs it,
and JupyterLab driven in Chromium through Playwright. Benchmarks use them too."""
import json, os, secrets, signal, subprocess, tempfile, time
import urllib.error, urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from fastcore.net import free_port
from course import cmd


def answers(url) -> bool:
    "Does an HTTP server answer at `url` (any status)?"
    try:
        with urllib.request.urlopen(url, timeout=2): return True
    except urllib.error.HTTPError: return True
    except OSError: return False


def stop(proc, grace=15):
    "Stop `proc` and every process in its group: SIGTERM, then SIGKILL after `grace` seconds"
    try: os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError: pass
    try: proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL); proc.wait()


@contextmanager
def serve(argv, url, timeout=90, log=None, **popen_kw):
    "Run `argv` (output to file `log`, if given) until `url` answers; yield the process; stop it and its children after"
    out = open(log, 'w') if log else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen_kw)
    name, see = Path(argv[0]).name, f"; see {log}" if log else ''
    try:
        deadline = time.monotonic() + timeout
        while not answers(url):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode} before {url} answered{see}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: nothing answered on {url} within {timeout} s{see}")
            try: proc.wait(0.3)   # a pause between tries that ends early if the server exits
            except subprocess.TimeoutExpired: pass
        yield proc
    finally:
        stop(proc)
        if log: out.close()


# JupyterLab's own settings for the tests: no news pop-up, and every cell rendered (not only those near the screen)
LAB_SETTINGS = {
    '@jupyterlab/apputils-extension/notification.jupyterlab-settings': {'fetchNews': 'false', 'checkForUpdates': False},
    '@jupyterlab/notebook-extension/tracker.jupyterlab-settings': {'windowingMode': 'none'},
}


def lab_command(port, token, root):
    "The JupyterLab command line that `make lab` runs, on `port` with `token`, serving `root`"
    root_flag = ['--allow-root'] if os.geteuid() == 0 else []
    return [cmd('jupyter'), 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
            f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root}',
            '--LabApp.expose_app_in_browser=True'] + root_flag


@contextmanager
def jupyterlab(root, log=None, timeout=90):
    "JupyterLab serving folder `root` on 127.0.0.1 with a random port and token, stopped with its kernels on exit"
    port, token = free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix='dlcourse-lab-') as d:
        for rel, val in LAB_SETTINGS.items():
            f = Path(d)/'settings'/rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(val))
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(Path(d)/'settings'),
                   JUPYTER_RUNTIME_DIR=str(Path(d)/'runtime'),
                   JUPYTERLAB_WORKSPACES_DIR=str(Path(d)/'workspaces'))   # no tabs restored from an earlier run
        url = f'http://127.0.0.1:{port}'
        status = f'{url}/api/status?token={token}'
        with serve(lab_command(port, token, root), status, timeout=timeout, log=log, env=env) as p:
            yield SimpleNamespace(url=url, token=token, port=port, proc=p, root=Path(root))


KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  const prompts = Array.from(document.querySelectorAll('.jp-InputPrompt'));
  const busy = prompts.some(p => p.textContent.includes('*'));
  return k && k.status === 'idle' && !busy;
}"""


def open_notebook(page, lab, path, timeout=90_000):
    "Open the notebook at `path` (relative to the served folder) in `page`, and wait until its kernel is idle"
    page.goto(f'{lab.url}/lab/tree/{path}?token={lab.token}')
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=timeout)
    wait_idle(page, timeout)


def wait_idle(page, timeout=300_000):
    "Wait until the current notebook's kernel is idle and no cell is queued or running"
    page.wait_for_function(KERNEL_IDLE, timeout=timeout, polling=250)


def command(page, name, **args):
    "Run JupyterLab command `name` (for example 'docmanager:save') with `args`, and wait for it to finish"
    page.evaluate("([name, args]) => window.jupyterapp.commands.execute(name, args)", [name, args])


# JupyterLab's run commands settle their promise once the cells have run; the page notes when it has
RUN = """name => { window.dlcourseRan = false;
  window.jupyterapp.commands.execute(name).then(() => { window.dlcourseRan = true; }); }"""


def _run(page, name, timeout):
    page.evaluate(RUN, name)
    page.wait_for_function(f"() => window.dlcourseRan && ({KERNEL_IDLE})()", timeout=timeout, polling=250)


def run_all(page, timeout=300_000):
    "Run all the cells of the current notebook and wait until they have run and the kernel is idle"
    _run(page, 'notebook:run-all-cells', timeout)


def run_cell(page, index=-1, timeout=300_000):
    "Run only cell `index` of the current notebook (counting markdown cells; -1: the last), as Ctrl+Enter does"
    page.evaluate("""i => { const nb = window.jupyterapp.shell.currentWidget.content;
                            nb.activeCellIndex = i < 0 ? nb.widgets.length + i : i; }""", index)
    _run(page, 'notebook:run-cell', timeout)
