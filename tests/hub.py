"""A class on JupyterHub for the tests and benchmarks: fresh user names, the teacher's course where learners can reach
it, the hub that `dlcourse-class` starts, and its learners' servers."""
import pwd, secrets, subprocess, sys, time, urllib.request
from contextlib import contextmanager
from pathlib import Path
import psutil
from dlcourse.tools.classroom import free_port, private_dirs
from course import ROOT, cmd
from lab import stop


def users() -> set: return {p.pw_name for p in pwd.getpwall()}


def names(*roles) -> list:
    "Fresh user names, one per role, that no other run of the tests uses"
    tag = secrets.token_hex(3)
    return [f'dlc{tag}{r}' for r in roles]


@contextmanager
def class_course(work):
    """The teacher's clone of the course in `work`/course; learners can reach it and its Python while it is open (the
    private folders above them get o+x, as dlcourse-class tells a teacher to), and the modes come back afterwards"""
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(work/'course')], check=True)
    dirs = {p for q in (ROOT, Path(sys.prefix), Path(sys.base_prefix), work) for p in private_dirs(q)}
    modes = {p: p.stat().st_mode for p in dirs}
    try:
        for p in dirs: p.chmod(modes[p] | 0o001)
        yield work/'course'
    finally:
        for p, m in modes.items(): p.chmod(m & 0o7777)


def ready(url) -> bool:
    "Does `url` answer 200 (the hub's login page, once the proxy routes to the hub)?"
    try:
        with urllib.request.urlopen(url, timeout=2) as r: return r.status == 200
    except OSError: return False


@contextmanager
def hub(work, roster, state, teacher, cull_after=3600):
    "dlcourse-class serving the class of `roster` (the course in `work`) on a random port, stopped on exit"
    port = free_port()
    argv = [cmd('dlcourse-class'), str(roster), '--port', str(port), '--state', str(state), '--teacher', teacher,
            '--course', str(work/'course'), '--cull-after', str(cull_after)]
    with open(work/'hub.log', 'a') as log:
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f'http://127.0.0.1:{port}'
        try:
            deadline = time.monotonic() + 90
            while not ready(f'{url}/hub/login'):
                assert p.poll() is None and time.monotonic() < deadline, (work/'hub.log').read_text()[-3000:]
                time.sleep(0.5)
            yield url
        finally:
            stop(p, grace=30)


def server_processes(user) -> list:
    "The processes of `user`'s JupyterLab server"
    return [p for p in psutil.process_iter(['username', 'cmdline'])
            if p.info['username'] == user and 'jupyterhub-singleuser' in ' '.join(p.info['cmdline'] or [])]


def rss_mb(procs) -> float: return sum(p.memory_info().rss for p in procs) / 2**20


def kill_users_processes(names):
    "Stop whatever the users `names` still run"
    for p in psutil.process_iter(['username']):
        if p.info['username'] in names: p.kill()
