"""Lesson 4's app: the safe model form, refusing pickles, bad uploads through the HTTP API, a small load, a real
browser."""
import concurrent.futures as cf, os, pickle, subprocess, sys
import numpy as np
import pytest
from PIL import Image
from course import ROOT, cmd, make_image_folder, png_header
from lab import serve

os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A small model trained on generated images (two classes), exported as model.pkl and in the safe form"
    from dlcourse.tools.settings import CourseSettings
    from dlcourse.tools.models import train_quick
    from dlcourse.tools.predict import export_safe
    d = tmp_path_factory.mktemp('app')
    data = make_image_folder(d/'data', n=16)
    s = CourseSettings(dataset=str(data), arch='resnet18', img_size=32, batch_size=8, pretrained='no', seed=0)
    learn = train_quick(s)
    learn.export(d/'model.pkl')
    export_safe(learn, d)
    return d, data


@pytest.mark.slow
def test_safe_form_predicts_like_the_pickle(trained):
    from dlcourse.tools.predict import SafePredictor
    from fastai.vision.all import load_learner
    d, data = trained
    learn, safe = load_learner(d/'model.pkl'), SafePredictor(d)
    assert safe.vocab == list(learn.dls.vocab) == ['blue', 'red']
    for f in sorted(data.rglob('*.png'))[::4]:
        assert float((safe.probs(f) - learn.predict(f)[2]).abs().max()) < 1e-4
    assert not list(d.glob('*.tmp'))


class Evil:
    "Unpickling this creates a file: what a malicious model.pkl could do"
    def __init__(self, path): self.path = path
    def __reduce__(self): return (open, (self.path, 'w'))


def test_refuses_a_pickle_that_would_run_code(tmp_path):
    "dlcourse-app's own code, in this process (the command's exit is tested below): it stops before unpickling"
    from dlcourse.tools.app import dlcourse_app
    marker = tmp_path/'pwned'
    (tmp_path/'model.pkl').write_bytes(pickle.dumps(Evil(str(marker))))
    with pytest.raises(SystemExit) as e: dlcourse_app.__wrapped__(str(tmp_path/'model.pkl'), port=0)
    msg = str(e.value.code)
    assert msg.startswith('dlcourse-app: refusing to load') and '\n' not in msg, msg
    assert 'unpickling runs any code' in msg and '--trust-pickle' in msg
    assert not marker.exists()


def test_no_model_says_how_to_make_one(tmp_path):
    "The command exits 1 with a one-line message on stderr"
    r = subprocess.run([cmd('dlcourse-app'), str(tmp_path), '--port', '0'], capture_output=True, text=True, timeout=120)
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and last.startswith('dlcourse-app: no model at') and '--train' in last, r.stderr


@pytest.fixture(scope='module')
def app(trained):
    "dlcourse-app serving the safe model on a free port; stopped at the end"
    from fastcore.net import free_port
    d, _ = trained
    port = free_port()
    url = f'http://127.0.0.1:{port}/'
    with serve([cmd('dlcourse-app'), str(d), '--port', str(port)], url, timeout=120, cwd=ROOT) as proc: yield url, proc


def bad_inputs(d):
    "Uploads an app meets: (file name, expected message or None when it should be converted and classified)"
    src = Image.fromarray(np.full((32, 32, 3), (200, 40, 40), np.uint8))
    src.convert('L').save(d/'grey.png'); src.convert('RGBA').save(d/'rgba.png'); src.convert('CMYK').save(d/'cmyk.jpg')
    Image.fromarray(np.asarray(src.convert('L')).astype(np.uint16) * 257).save(d/'16bit.png')
    (d/'note.png').write_text('this is not an image'); (d/'notes.txt').write_text('still not an image')
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(d/'full.jpg')
    (d/'cut.jpg').write_bytes((d/'full.jpg').read_bytes()[:5000])
    Image.new('RGB', (10000, 10000), 'white').save(d/'huge.png')
    (d/'bomb.png').write_bytes(png_header(100_000, 100_000))
    return [('grey.png', None), ('rgba.png', None), ('cmyk.jpg', None), ('16bit.png', None),
            ('note.png', 'not an image that can be read'), ('notes.txt', 'not an image that can be read'),
            ('cut.jpg', 'damaged or incomplete'), ('huge.png', 'Image too large: 10000x10000 pixels'),
            ('bomb.png', 'Image too large'), (None, 'No image: upload one first')]


@pytest.mark.slow
def test_http_api_bad_input_gets_a_message_and_the_server_keeps_serving(app, trained, tmp_path):
    from gradio_client import Client, handle_file
    url, proc = app
    c = Client(url, verbose=False)
    for name, msg in bad_inputs(tmp_path):
        arg = handle_file(str(tmp_path/name)) if name else None
        if msg is None:
            assert c.predict(arg, api_name='/predict')['label'] in ('blue', 'red'), name
        else:
            with pytest.raises(Exception) as e: c.predict(arg, api_name='/predict')
            assert msg in str(e.value), (name, str(e.value))
    res = c.predict(handle_file(str(trained[1]/'red/red_0.png')), api_name='/predict')
    assert res['label'] in ('blue', 'red') and abs(sum(x['confidence'] for x in res['confidences']) - 1) < 1e-4
    assert proc.poll() is None


@pytest.mark.slow
def test_concurrent_requests_without_errors(app, trained):
    from gradio_client import Client, handle_file
    url, _ = app
    files = sorted(trained[1].rglob('*.png'))
    clients = [Client(url, verbose=False) for _ in range(8)]
    def one(i): return clients[i % 8].predict(handle_file(str(files[i % len(files)])), api_name='/predict')['label']
    with cf.ThreadPoolExecutor(8) as ex: labels = list(ex.map(one, range(40)))
    assert len(labels) == 40 and set(labels) <= {'blue', 'red'}


@pytest.mark.slow
@pytest.mark.browser
def test_app_in_a_real_browser(app, trained):
    from dlcourse.tools.browser import chromium
    art = ROOT/'artifacts'/'e2e'; art.mkdir(parents=True, exist_ok=True)
    url, _ = app
    with chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector('input[type=file]', state='attached', timeout=60_000)
        page.screenshot(path=art/'app-opened.png')
        page.locator('input[type=file]').first.set_input_files(str(trained[1]/'red/red_0.png'))
        page.get_by_role('button', name='Submit').click()
        label = page.get_by_test_id('label-output-value')
        label.wait_for(timeout=60_000)
        page.wait_for_function("el => el.textContent.trim().length > 0", arg=label.element_handle(), timeout=60_000)
        page.screenshot(path=art/'app-predicted.png')
        assert label.text_content().strip().split()[0] in ('blue', 'red')


@pytest.mark.slow
@pytest.mark.browser
def test_screenshot_command(trained, tmp_path):
    "dlcourse-app --screenshot serves the app, clicks an example in headless Chromium, saves the page and stops"
    d, _ = trained
    argv = [cmd('dlcourse-app'), str(d), '--screenshot', str(tmp_path/'app.png')]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert Image.open(tmp_path/'app.png').size == (1100, 700) and not list(tmp_path.glob('.*.tmp'))


@pytest.mark.slow
def test_lesson4s_space_serves_its_model(lesson_run):
    """The Hugging Face Space that lesson 4 writes (app.py, model.pkl, requirements.txt) runs as a Space runs it,
    `python app.py` in its folder, and its API answers as the lesson's classify_image does"""
    import time, urllib.request
    from fastcore.net import free_port
    from gradio_client import Client, handle_file
    r = lesson_run('04_deploy.ipynb')
    space = r.path.parent/'space'
    assert sorted(p.name for p in space.iterdir()) == ['app.py', 'model.pkl', 'requirements.txt']
    assert (space/'requirements.txt').read_text().split() == ['fastai', 'timm']
    photo, want = r.value('[examples[1], classify_image(PILImage.create(examples[1]))]')
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_NAME='127.0.0.1', GRADIO_SERVER_PORT=str(port))
    app = subprocess.Popen([sys.executable, 'app.py'], cwd=space, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        url, start = f'http://127.0.0.1:{port}/', time.monotonic()
        while True:
            try: urllib.request.urlopen(url, timeout=2); break
            except OSError: pass
            assert app.poll() is None, app.stderr.read()[-3000:]
            assert time.monotonic() - start < 180, "app.py did not serve within 180 s"
            time.sleep(1)
        got = Client(url, verbose=False).predict(handle_file(photo), api_name='/classify_image')
    finally:
        app.terminate(); app.wait(30)
    probs = {c['label']: c['confidence'] for c in got['confidences']}
    assert probs.keys() == want.keys() and max(abs(probs[k] - v) for k, v in want.items()) < 1e-4, (probs, want)


@pytest.mark.slow
@pytest.mark.browser
def test_lesson4s_picture_is_taken_of_its_own_demo(lesson_run, tmp_path):
    "The picture lesson 4 shows is of the lesson's own demo: its code, run up to the demo, then the demo in Chromium"
    from dlcourse.tools.app import lesson4_screenshot
    folder = lesson_run('04_deploy.ipynb').path.parent
    png = lesson4_screenshot(tmp_path/'app.png', folder)
    assert Image.open(png).size == (1100, 700) and not list(tmp_path.glob('.*.tmp'))
