"""Load on lesson 4's app, measured in one run: 200 requests at concurrency 8 through the HTTP API (gradio_client),
latency p50 and p95, errors, and the server's resident memory after the first 10 requests and after all 200.

The model is the course's safe export in models/ (lessons 2 and 4 make it; if missing, `dlcourse-app --train` trains the
quick default first). Run: .venv/bin/python bench/app_load.py [--requests 200] [--concurrency 8]
"""
import argparse, concurrent.futures as cf, os, statistics, sys, time
from pathlib import Path
import psutil
from gradio_client import Client, handle_file
from fastcore.net import free_port
from dlcourse.tools.data import example_images
from dlcourse.tools.base import models_dir
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from lab import serve   # noqa: E402  (the tests' server start and stop)


def rss_mb(proc):
    "Resident memory of the app's process tree, in MB"
    p = psutil.Process(proc.pid)
    return sum(x.memory_info().rss for x in [p, *p.children(recursive=True)]) / 2**20


def main(n=200, concurrency=8):
    port = free_port()
    url = f'http://127.0.0.1:{port}/'
    app = [str(Path(sys.executable).parent/'dlcourse-app'), str(models_dir()), '--port', str(port), '--train']
    with serve(app, url, timeout=600) as proc:
        files = [str(f) for f in example_images(10)]
        clients = [Client(url, verbose=False) for _ in range(concurrency)]
        lat, errors = [None] * n, []
        def one(i):
            t = time.perf_counter()
            try: clients[i % concurrency].predict(handle_file(files[i % len(files)]), api_name='/predict')
            except Exception as e: errors.append(f"{i}: {e}")
            lat[i] = time.perf_counter() - t
        with cf.ThreadPoolExecutor(concurrency) as ex: list(ex.map(one, range(10)))
        rss10 = rss_mb(proc)
        t = time.perf_counter()
        with cf.ThreadPoolExecutor(concurrency) as ex: list(ex.map(one, range(10, n)))
        wall = time.perf_counter() - t
        rss_all = rss_mb(proc)
        report(n, concurrency, errors, lat, wall, rss10, rss_all)


def report(n, concurrency, errors, lat, wall, rss10, rss_all):
    "Print the run's errors, latency percentiles, throughput and the server's memory growth"
    ms = sorted(x * 1000 for x in lat)
    p50, p95 = statistics.median(ms), ms[int(0.95 * len(ms)) - 1]
    print(f"{n} requests at concurrency {concurrency} (model {models_dir()/'model.json'}, CPU {os.cpu_count()} cores):")
    print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ''))
    rest = n - 10
    print(f"  latency p50 {p50:.0f} ms, p95 {p95:.0f} ms; {rest} requests in {wall:.1f} s ({rest / wall:.1f} req/s)")
    print(f"  server memory (RSS): {rss10:.0f} MB after the first 10 requests, {rss_all:.0f} MB after {n} "
          f"({(rss_all / rss10 - 1) * 100:+.1f}%)")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--requests', type=int, default=200)
    ap.add_argument('--concurrency', type=int, default=8)
    a = ap.parse_args()
    main(a.requests, a.concurrency)
