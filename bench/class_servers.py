"""Ten learner servers started at once through JupyterHub's REST API, in a class that `dlcourse-class` runs.
A temporary class of ten learners on a random port (as tests/test_class.py starts it); the teacher's API token (their
role may start the class's servers); a POST to /hub/api/users/NAME/server for all ten at the same moment, then the
hub asked until every server is ready: the seconds until all are, and the memory of all their processes (RSS). Then the
servers stopped and the class removed, with its users and homes. Needs root, Node.js and the proxy (make class-proxy).
Run: .venv/bin/python bench/class_servers.py"""
import concurrent.futures as cf, json, os, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
from dlcourse.tools.classroom import find_proxy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from course import cmd   # noqa: E402  (the tests' class on JupyterHub)
from hub import class_course, hub, kill_users_processes, names, rss_mb, server_processes   # noqa: E402

N = 10


def api(url, token, path, method='GET'):
    "The hub's answer to `method` on its REST API's `path`, as JSON (None where it answers with no body)"
    req = urllib.request.Request(f'{url}/hub/api/{path}', method=method, headers={'Authorization': f'token {token}'})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
    return json.loads(body) if body else None


def teacher_token(state, teacher) -> str:
    "A new API token for `teacher`, made by `jupyterhub token` on the class's database"
    r = subprocess.run([cmd('jupyterhub'), 'token', '-f', str(Path(state)/'jupyterhub_config.py'), teacher],
                       capture_output=True, text=True, cwd=state, check=True)
    return r.stdout.strip().splitlines()[-1]


def start_all(url, token, learners) -> float:
    "Seconds from asking for every learner's server at once until the hub says all are ready"
    t = time.monotonic()
    with cf.ThreadPoolExecutor(len(learners)) as ex:
        list(ex.map(lambda u: api(url, token, f'users/{u}/server', 'POST'), learners))
    while not all(api(url, token, f'users/{u}')['servers'].get('', {}).get('ready') for u in learners):
        assert time.monotonic() - t < 600, 'servers not ready after 10 minutes'
        time.sleep(0.5)
    return time.monotonic() - t


if __name__ == '__main__':
    if os.geteuid() != 0 or not find_proxy():
        sys.exit("bench/class_servers.py: needs root and JupyterHub's proxy (make class-proxy), as dlcourse-class does")
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        teacher, *learners = names('t', *(f'l{i}' for i in range(N)))
        roster, state = work/'bench.txt', work/'state'
        roster.write_text(''.join(f'{u}\n' for u in learners))
        with class_course(work):
            try:
                with hub(work, roster, state, teacher) as url:
                    token = teacher_token(state, teacher)
                    secs = start_all(url, token, learners)
                    time.sleep(2)
                    mb = rss_mb([p for u in learners for p in server_processes(u)])
                    print(f"{N} learner servers started at once through the REST API: all ready after {secs:.1f} s; "
                          f"memory of all {mb:.0f} MB ({mb / N:.0f} MB each)")
            finally:
                kill_users_processes({teacher, *learners})
                if state.exists():
                    subprocess.run([cmd('dlcourse-class'), str(roster), '--state', str(state), '--remove'], check=True)
