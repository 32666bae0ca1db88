"""A class on JupyterHub (`dlcourse-class`): its bad input, a class set up and removed, and end to end in Chromium,
three learners and their teacher on a hub started on a random port. Needs root, Node.js and JupyterHub's proxy
(`make class-proxy`); learners must reach the course and its Python, so the tests open the private folders above them
to others (o+x, as dlcourse-class tells a teacher to) and restore them afterwards."""
import hashlib, json, os, pwd, secrets, shutil, socket, subprocess, tempfile, time
from pathlib import Path
import nbformat, pytest
from dlcourse.tools.classroom import dlcourse_class
from course import ROOT, cmd, solve
from hub import class_course, hub, kill_users_processes, names, rss_mb, server_processes, users
from lab import LAB_SETTINGS, command, run_all, wait_idle

L1 = '01_neural_net_basics.ipynb'
ARTIFACTS = ROOT/'artifacts'/'class'
COPY = Path('dlcourse')/'clean'/L1


@pytest.fixture(scope='module')
def work():
    """A folder for classes, and the teacher's clone of the course; learners can reach both, the course and its Python.
    Not under pytest's own folder: every pytest session started meanwhile makes that private again"""
    work = Path(tempfile.mkdtemp(prefix='dlcourse-class-'))
    try:
        with class_course(work): yield work
    finally: shutil.rmtree(work, ignore_errors=True)


def dlc(work, roster, *args, env=None):
    "Run dlcourse-class on the class file `roster` (a list of lines) in `work`, without starting the hub"
    klass = f'k{secrets.token_hex(3)}'
    (work/f'{klass}.txt').write_text(''.join(f'{l}\n' for l in roster))
    argv = [cmd('dlcourse-class'), str(work/f'{klass}.txt'), '--state', str(work/klass), '--course', str(work/'course')]
    r = subprocess.run(argv + ['--no-start', *map(str, args)], capture_output=True, text=True, timeout=120, env=env)
    return r, work/klass


@pytest.mark.hub
@pytest.mark.parametrize('roster,args,said', [
    (['ada', 'Grace Hopper'], (), "line 2: 'Grace Hopper' is not a valid Unix user name"),
    (['ada', 'alan', 'ada'], (), "line 3: 'ada' is listed twice (first on line 1)"),
    (['daemon'], (), "daemon: already a user of this machine, not one this class created"),
    (['ada'], ('--teacher', 'ada'), "ada: the teacher's name is also a learner's"),
    ([], (), "names no learner"),
])
def test_bad_class_files_get_one_line_and_nothing_is_created(work, roster, args, said):
    "A bad name, a name twice, a user that exists, the teacher as a learner, no one: one line, exit 2, nothing made"
    before = users()
    r, state = dlc(work, roster, *args)
    assert (r.returncode, r.stdout) == (2, '') and said in r.stderr and r.stderr.count('\n') == 1, r.stderr
    assert users() == before and not state.exists()


@pytest.mark.hub
def test_a_port_in_use_a_missing_proxy_or_a_private_course_get_one_line(work):
    "The port taken, no Node.js for the proxy, a course learners cannot reach: one line each, nothing created"
    before, learner = users(), names('a')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); s.listen()
        port = s.getsockname()[1]
        r, state = dlc(work, learner, '--port', port)
    assert r.returncode == 2 and f"port {port} is in use" in r.stderr and not state.exists()
    r, state = dlc(work, learner, env=dict(os.environ, PATH='/nonexistent'))
    assert r.returncode == 2 and 'configurable-http-proxy not found' in r.stderr and not state.exists()
    private = work/'private'
    private.mkdir(mode=0o700)
    subprocess.run(['git', 'clone', '-q', str(work/'course'), str(private/'course')], check=True)
    argv = [cmd('dlcourse-class'), str(work/'p.txt'), '--course', str(private/'course'), '--state', str(work/'p')]
    (work/'p.txt').write_text(learner[0])
    r = subprocess.run(argv + ['--no-start'], capture_output=True, text=True)
    assert r.returncode == 2 and f"learners cannot reach it, {private} is private (mode 700)" in r.stderr, r.stderr
    assert users() == before and not (work/'p').exists()


@pytest.mark.hub
def test_a_failure_half_way_removes_the_users_it_made(work):
    "useradd refuses the third name (a group of that name exists): the two users made before it are removed"
    before = users()
    r, state = dlc(work, [*names('a', 'b'), 'staff'])
    assert r.returncode == 2 and 'useradd failed for staff: group staff exists' in r.stderr, r.stderr
    assert users() == before and not state.exists()


def test_without_root_one_line(monkeypatch, capsys, tmp_path):
    "Not root: one line, exit 2"
    monkeypatch.setattr(os, 'geteuid', lambda: 1000)
    (tmp_path/'fall.txt').write_text('ada\n')
    with pytest.raises(SystemExit) as e: dlcourse_class(str(tmp_path/'fall.txt'), no_start=True)
    assert e.value.code == 2
    assert capsys.readouterr().err == ("dlcourse-class: must run as root: it creates a Unix user for each learner"
                                       " (try sudo)\n")


@pytest.mark.hub
def test_a_class_is_set_up_kept_and_removed_exactly(work):
    "Private homes and a root-only password file; run again, only the new learner is added; removed, exactly those go"
    before, (t, a, b, c) = users(), names('t', 'a', 'b', 'c')
    roster = work/f'k{t[3:9]}.txt'
    roster.write_text(f'{a}\n{b}\n')
    argv = [cmd('dlcourse-class'), str(roster), '--state', str(work/'s'), '--course', str(work/'course'),
            '--teacher', t, '--no-start']
    r = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert r.stdout == f"dlcourse-class: created 3 users: {t}, {a}, {b}\n"
    for u in (t, a, b):
        home = Path(pwd.getpwnam(u).pw_dir)
        assert (home.stat().st_mode & 0o777, home.owner()) == (0o700, u)
    pw = work/'s'/'passwords.txt'
    assert pw.stat().st_mode & 0o777 == 0o600
    assert [l.split('\t')[0] for l in pw.read_text().splitlines()[1:]] == [t, a, b]
    old = pw.read_text()
    roster.write_text(f'{a}\n{b}\n{c}\n')
    r = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert r.stdout == f"dlcourse-class: created 1 users: {c}\n" and pw.read_text().startswith(old)
    r = subprocess.run(argv[:-1] + ['--remove'], capture_output=True, text=True, check=True)
    assert r.stdout == f"dlcourse-class: removed 4 users and their homes: {t}, {a}, {b}, {c}\n"
    assert users() == before and not (work/'s').exists() and not any(Path(f'/home/{u}').exists() for u in (t, a, b, c))


# ---- end to end ----------------------------------------------------------------------------------------------------

EDIT = ('0.2, 0.25]', '0.1, 0.25]')   # learner B changes one learning rate of the plot of four

RUN_IN_KERNEL = """async code => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  let out = '';
  const f = k.requestExecute({code});
  f.onIOPub = m => { if (m.header.msg_type === 'stream') out += m.content.text;
                     if (m.header.msg_type === 'error') out += m.content.ename; };
  await f.done;
  return out; }"""

SET_SOURCE = """([start, a, b]) => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const c = nb.widgets.find(w => w.model.sharedModel.getSource().startsWith(start));
  c.model.sharedModel.setSource(c.model.sharedModel.getSource().replace(a, b)); }"""


def lab_prefs(user):
    "JupyterLab's settings in `user`'s home, as the tests' JupyterLab has them (window.jupyterapp, every cell drawn)"
    home, u = Path(pwd.getpwnam(user).pw_dir), pwd.getpwnam(user)
    files = {'.jupyter/jupyter_server_config.json': {'LabApp': {'expose_app_in_browser': True}},
             **{f'.jupyter/lab/user-settings/{k}': v for k, v in LAB_SETTINGS.items()}}
    for rel, val in files.items():
        p = home/rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(val))
    for p in [home/'.jupyter', *(home/'.jupyter').rglob('*')]: os.chown(p, u.pw_uid, u.pw_gid)


def write_exercises(user):
    "Write the exercises of `user`'s clean lesson 1 as the lesson does (the learner typing them in)"
    p, u = Path(pwd.getpwnam(user).pw_dir)/COPY, pwd.getpwnam(user)
    nb = solve(nbformat.read(p, as_version=4), nbformat.read(ROOT/'nbs'/L1, as_version=4).cells)
    nbformat.write(nb, p)
    os.chown(p, u.pw_uid, u.pw_gid)


def login(browser, url, user, password, next_url=None):
    "A new browser of `user`, logged in: on their JupyterLab (the notebook open and its kernel idle), or at `next_url`"
    page = browser.new_context(viewport={'width': 1400, 'height': 1000}).new_page()
    start = time.monotonic()
    page.goto(f'{url}/hub/login' + (f'?next={next_url}' if next_url else ''))
    page.fill('#username_input', user)
    page.fill('#password_input', password)
    page.click('#login_submit')
    if next_url: page.wait_for_load_state()
    else:
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=180_000)
        wait_idle(page)
    return page, time.monotonic() - start


def open_lesson(page, url, user):
    "Open `user`'s clean lesson 1 afresh from the disk"
    page.goto(f'{url}/user/{user}/lab/tree/{COPY}')
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=120_000)
    wait_idle(page)


def run_and_save(page, user):
    "Run all the cells, save, and wait until the saved file holds the outputs"
    p = Path(pwd.getpwnam(user).pw_dir)/COPY
    run_all(page)
    before = p.stat().st_mtime_ns
    command(page, 'docmanager:save')
    deadline = time.monotonic() + 30
    while p.stat().st_mtime_ns == before and time.monotonic() < deadline: time.sleep(0.2)


def digest(user) -> str: return hashlib.sha256((Path(pwd.getpwnam(user).pw_dir)/COPY).read_bytes()).hexdigest()


@pytest.mark.hub
@pytest.mark.browser
@pytest.mark.slow
def test_a_class_of_three_on_jupyterhub(work):
    "A runs lesson 1 and saves, B changes a learning rate, C never comes: the teacher's page says so; isolation holds"
    from dlcourse.tools.browser import chromium
    start, figures = time.monotonic(), {}
    teacher, a, b, c = names('t', 'a', 'b', 'c')
    roster, state = work/f'k{teacher[3:9]}.txt', work/'e2e'
    roster.write_text(f'{a}\n{b}\n{c}\n')
    try:
        with hub(work, roster, state, teacher, cull_after=3600) as url, chromium() as ctx:
            pw = dict(l.split('\t') for l in (state/'passwords.txt').read_text().splitlines()[1:])
            for u in (a, b): lab_prefs(u)
            logins, pages = [], {}
            for u in (a, b):
                pages[u], took = login(ctx.browser, url, u, pw[u])
                logins.append(took)
                write_exercises(u)
                open_lesson(pages[u], url, u)
            figures['idle server MB'] = round(rss_mb(server_processes(b)), 1)
            run_and_save(pages[a], a)
            pages[b].evaluate(SET_SOURCE, ['lrs = [', *EDIT])
            run_and_save(pages[b], b)
            assert EDIT[1] in (Path(pwd.getpwnam(b).pw_dir)/COPY).read_text()

            # the teacher's page
            page, _ = login(ctx.browser, url, teacher, pw[teacher], next_url='/services/class-page/')
            t0 = time.monotonic()
            page.goto(f'{url}/services/class-page/')
            figures['class page s (3 learners)'] = round(time.monotonic() - t0, 2)
            rows = {r.locator('th').inner_text(): r.locator('td').first.inner_text()
                    for r in page.locator('tr').all()[1:]}
            assert rows[a] == 'same', rows
            assert rows[b].startswith('1 cell differs: [') and rows[b].endswith('(changed code)'), rows
            assert rows[c] == 'not started', rows
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS/'class-page.png'), full_page=True)
            page.click(f'a[href="report/{b}/{L1}"]')
            page.wait_for_selector('.dlc-report')
            assert page.locator('details.dlc-open .dlc-images img').count() == 3
            page.screenshot(path=str(ARTIFACTS/'learner-report.png'))
            csv = page.request.get(f'{url}/services/class-page/class.csv').text()
            assert f'{a},01_neural_net_basics,same,same' in csv and f'{c},01_neural_net_basics,not started' in csv

            # isolation: A's kernel cannot read B's home; A is refused the class page and B's server
            probe = (f"import os\ntry: os.listdir('/home/{b}'); print('read')\n"
                     f"except PermissionError: print('PermissionError')")
            assert pages[a].evaluate(RUN_IN_KERNEL, probe).strip() == 'PermissionError'
            assert pages[a].goto(f'{url}/services/class-page/').status == 403
            assert pages[a].goto(f'{url}/user/{b}/lab').status == 403

            # the teacher updates lesson 1 and its clean copy; B's next login brings it and keeps B's edit and run
            course = work/'course'
            for rel in (f'nbs/{L1}', f'clean/{L1}'):
                p, old = course/rel, '"## Measurements are noisy'
                p.write_text(p.read_text().replace(old, '"## Measurements are always noisy', 1))
            subprocess.run(['git', '-C', str(course), '-c', 'user.name=t', '-c', 'user.email=t@example.org',
                            'commit', '-qam', 'Lesson 1: a clearer heading'], check=True)
            pages[b].context.close()
            pages[b], _ = login(ctx.browser, url, b, pw[b])
            mine = nbformat.read(Path(pwd.getpwnam(b).pw_dir)/COPY, as_version=4)
            text = nbformat.writes(mine)
            assert 'Measurements are always noisy' in text and EDIT[1] in text
            assert sum(bool(c.get('outputs')) for c in mine.cells if c.cell_type == 'code') > 20
            for p in pages.values(): p.context.close()
            kept = {u: digest(u) for u in (a, b)}

        # a hub restart loses no learner file; then the culler stops a server left idle
        with hub(work, roster, state, teacher, cull_after=15) as url, chromium() as ctx:
            assert {u: digest(u) for u in (a, b)} == kept
            page, took = login(ctx.browser, url, a, pw[a])
            logins.append(took)
            assert server_processes(a)
            page.context.close()
            t0 = time.monotonic()
            while server_processes(a) and time.monotonic() - t0 < 120: time.sleep(1)
            assert not server_processes(a), "the culler left A's idle server running"
            figures['culled after s'] = round(time.monotonic() - t0, 1)
    finally:
        kill_users_processes({teacher, a, b, c})
        if state.exists(): subprocess.run([cmd('dlcourse-class'), str(roster), '--state', str(state), '--remove'])
    figures['login to JupyterLab s (A, B, A again)'] = [round(t, 1) for t in logins]
    figures['login median s'] = round(sorted(logins)[1], 1)
    figures['test s'] = round(time.monotonic() - start)
    (ARTIFACTS/'figures.json').write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
