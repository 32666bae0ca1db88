"""The exercises a learner writes: each lesson's exercises against their tests in the lesson's session kernel (the
lesson's code passes, the stub is to write, a plausible wrong answer fails with its message), and dlcourse-check on a
small lesson with one exercise, untouched, saved, wrong, right and as an HTML page."""
import ast
import subprocess
import pytest
from bs4 import BeautifulSoup
from IPython.core.inputtransformer2 import TransformerManager
from dlcourse.tools.exercise import lesson_exercises
from dlcourse.tools.notebook import code, load_nb
from course import LessonRun, build_nb, cmd, course_copy

# lesson: {exercise: (a plausible wrong answer, what its tests then say)}, in the lesson's order
WRONG = {
    '01_neural_net_basics.ipynb': {
        'mse': ('def mse(preds, acts): return (preds - acts).abs().mean()',
                '`mse` of [1, 3] against [2, 1] (errors -1 and 2) should be 2.5, got 1.5'),
        'mae': ('def mae(preds, acts): return (preds - acts).mean()',
                '`mae` of [1, 3] against [2, 1] (errors -1 and 2) should be 1.5, got 0.5'),
        'quad_mse': ('def quad_mse(params, x, y): return mse(x, y)',
                     '`quad_mse` of x² at points of x² should be 0, got 2'),
        'gd_step': ('def gd_step(params, lr):\n    with torch.no_grad():\n        params += params.grad * lr\n'
                    '        params.grad.zero_()',
                    '`p` after `gd_step(p, 0.1)`, from [1, 2] with the gradient [2, 4] should be [0.8, 1.6], '
                    'got [1.2, 2.4]'),
        'rectified_linear': ('def rectified_linear(m, b, x): return torch.clip(m*x + b, 1.)',
                             '`rectified_linear(1, 0, x)` at x = [-2, 3] should be [0, 3], got [1, 3]'),
    },
    '03_which_image_models.ipynb': {
        'family': ("def family(model): return model.split('_')[0]",
                   "`family('resnet50')` should be 'resnet', got 'resnet50'"),
    },
    '05_spreadsheet_model.ipynb': {
        'linear_preds': ('def linear_preds(X, w): return (X*w).sum()',
                         '`linear_preds` of the rows [1, 2] and [3, 4] with w = [1, -1] should be [-1, -1], got -2'),
        'linear_loss': ('def linear_loss(w): return ((X@w - y)**2).sum()',
                        '`linear_loss` with every parameter 0 (every prediction 0, so the share of passengers who '
                        'survived) should be 0.4045, got 288'),
        'nnet': ('def nnet(W1, W2, X): return F.relu(X@W1 + X@W2)',
                 '`nnet` of the rows [1, 0] and [0, 1] with W1 = [1, -1] and W2 = [2, 3] (sums 1 and 2, then -1 and '
                 '3) should be [3, 3], got [3, 2]'),
    },
    '06_nlp.ipynb': {
        'accuracy': ("def accuracy(p): return (p.predictions.argmax(1) == p.label_ids).mean()",
                     "`accuracy` of three texts' outputs (the first two right) should be {'accuracy': 0.6667}, "
                     "got 0.6667"),
    },
}


def test_at_least_eight_exercises_each_with_a_wrong_answer_here():
    from course import ROOT
    found = {name: [e.name for e in lesson_exercises(load_nb(ROOT/'nbs'/name))] for name in WRONG}
    assert found == {name: list(w) for name, w in WRONG.items()}
    assert sum(map(len, found.values())) >= 8


@pytest.mark.slow
@pytest.mark.parametrize('name', list(WRONG))
def test_the_lessons_code_passes_the_stub_is_to_write_a_wrong_answer_fails(lesson_run, name):
    """In the lesson's session kernel: every exercise as the lesson writes it passes; each one's stub is 'to write'
    with its hint (and an exercise whose tests call it waits on it); a plausible wrong answer fails with its test's
    sentence; the lesson's code, run again, passes again"""
    r = lesson_run(name)
    path = r.course/'nbs'/name
    exercises = lesson_exercises(load_nb(path))
    r.run(f"from dlcourse.tools.exercise import lesson_exercises as _le, run_exercises as _re\n"
          f"from dlcourse.tools.notebook import load_nb as _ln\n_exs = _le(_ln({str(path)!r}))")
    def results():
        got = r.value("[[x.name, x.verdict.value, x.message] for x in _re(_exs, globals())]")
        return {n: (v, m) for n, v, m in got}
    assert results() == {e.name: ('passes', '') for e in exercises}
    for ex in exercises:
        r.run(ex.stub)
        now = results()
        assert now[ex.name] == ('to write', ex.hint)
        after = [e for e in exercises if e.name != ex.name and ex.name in e.source]
        for e in after: assert now[e.name] == ('waits', f'waits on the exercise {ex.name}')
        wrong, said = WRONG[name][ex.name]
        r.run(wrong)
        assert results()[ex.name] == ('fails', said)
        r.run(ex.source)
        assert results()[ex.name] == ('passes', '')


SUMS = ['md:# Sums', '#| hide\nfrom dlcourse.tools.exercise import expect',
        '#| exercise add the numbers up, one by one\ndef total(xs):\n    "The sum of `xs`"\n    res = 0\n'
        '    for x in xs: res += x\n    return res',
        "#| hide\nexpect(total([1, 2, 3]), 6, '`total([1, 2, 3])`')\nexpect(total([]), 0, '`total([])`')",
        'nums = [3, 1, 4, 1, 5]\nnums', 't = total(nums)\nt', "print('twice:', 2 * t)", 'len(nums)']
STUB = "raise NotImplementedError('Exercise: write total, add the numbers up, one by one')"


@pytest.fixture
def sums(tmp_path):
    "A course of one lesson with one exercise, `total`, its outputs saved, and its clean copy"
    from dlcourse.tools.clean import clean_one
    from dlcourse.tools.kernel import save_outputs
    course = course_copy(tmp_path/'course', lessons=False)
    build_nb(SUMS, course/'nbs/sums.ipynb')
    save_outputs(course/'nbs/sums.ipynb', timeout=120)
    clean_one(course/'nbs/sums.ipynb', course/'clean/sums.ipynb')
    return course


def check(course, *args):
    return subprocess.run([cmd('dlcourse-check'), 'clean/sums.ipynb', *args], cwd=course, capture_output=True,
                          text=True)


def write(course, code):
    "The learner replaces the stub's line with `code`"
    from dlcourse.tools.notebook import save_nb
    nb = load_nb(course/'clean/sums.ipynb')
    [c] = [c for c in nb.cells if STUB in c.source]
    c.source = c.source.replace(STUB, code)
    save_nb(nb, course/'clean/sums.ipynb')


def test_untouched_the_exercise_is_to_write_and_the_cells_using_it_wait(sums):
    r = check(sums, '--run')
    assert r.returncode == 4, r.stdout + r.stderr
    out = r.stdout.splitlines()
    assert any(l.startswith('[ 1] exercise') and 'def total(xs):' in l for l in out), r.stdout
    assert '       to write: add the numbers up, one by one' in out
    assert [l for l in out if l[5:10] == 'waits'] == ['[ 3] waits            t = total(nums)',
                                                      "[ 4] waits            print('twice:', 2 * t)"], r.stdout
    assert r.stdout.count('waits on the exercise total') == 2
    assert out[-1].endswith('2 cells wait on exercises; everything else you ran matches the lesson. '
                            'Exercises: total to write.'), out[-1]


def test_a_saved_copy_says_its_tests_run_only_with_run(sums):
    "Run and saved as JupyterLab would, untouched: the cells wait on the stub; the tests themselves need a kernel"
    run = LessonRun(sums/'clean/sums.ipynb', sums/'clean')
    run.save(); run.close()
    r = check(sums)
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.stdout.count('waits on the exercise total') == 2
    assert ('The tests of the exercises (total) run only with --run, or from check() in the notebook.'
            in r.stdout.splitlines()[-1])


def test_a_wrong_answer_fails_with_its_message_and_the_cells_using_it_wait(sums):
    write(sums, 'return max(xs)')
    r = check(sums, '--run')
    assert r.returncode == 1, r.stdout + r.stderr
    assert '       fails: `total([1, 2, 3])` should be 6, got 3' in r.stdout.splitlines()
    assert r.stdout.count('waits on the exercise total') == 2, r.stdout
    assert r.stdout.splitlines()[-1].endswith('Exercises: total fails.')


def test_a_right_answer_of_the_learners_own_passes_and_shows_the_lessons_code_on_a_click(sums):
    write(sums, 'return sum(xs)')
    r = check(sums, '--run', '--html', str(sums/'report.html'))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].endswith('everything you ran matches the lesson. Exercises: total passes.')
    page = BeautifulSoup((sums/'report.html').read_text(), 'html.parser')
    [row] = page.select('details.dlc-exercise')
    code = row.select_one('details.dlc-lesson-code')
    assert row.summary.text == 'passes exercise total' and not row.has_attr('open')
    assert code.summary.text == "Show the lesson's code" and not code.has_attr('open')
    assert 'for x in xs: res += x' in code.pre.text


def test_an_exercise_without_tests_or_not_a_function_is_one_line_and_no_copy(tmp_path):
    course = course_copy(tmp_path/'course', lessons=False)
    build_nb(['#| exercise h\ndef f(): return 1', 'f()'], course/'nbs/a.ipynb')
    build_nb(['#| exercise h\nx = 1', '#| hide\nassert x == 1'], course/'nbs/b.ipynb')
    r = subprocess.run([cmd('dlcourse-clean'), 'nbs/a.ipynb', 'nbs/b.ipynb', '--dest', 'clean'], cwd=course,
                       capture_output=True, text=True)
    assert r.returncode == 1
    errs = r.stderr.strip().splitlines()
    assert len(errs) == 2 and '#| exercise needs tests, in the #| hide cells right after it' in errs[0], errs
    assert '#| exercise marks a cell that defines exactly one function, and nothing else' in errs[1], errs
    assert not list((course/'clean').iterdir())


def test_an_exercise_that_never_returns_fails_within_its_time_limit_and_the_run_goes_on(sums):
    """A `total` that loops forever: `--run` interrupts the cell that calls it once past --timeout and goes on; its
    tests stop after TEST_SECONDS and say so; the cells using it wait on it, and the command ends (exit 1)"""
    from dlcourse.tools.exercise import TEST_SECONDS
    write(sums, 'while True: pass')
    r = check(sums, '--run', '--timeout', '10')
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout.splitlines()
    assert f'       fails: did not finish within {TEST_SECONDS} s (does it loop forever?)' in out, r.stdout
    assert r.stdout.count('waits on the exercise total') == 2, r.stdout
    assert out[-1].endswith('Exercises: total fails.'), out[-1]


def _statement_values(stmts):
    "The expression each statement computes (what a return, an assignment or a bare expression holds), into blocks"
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)) and s.value is not None:
            yield s.value
        for block in ('body', 'orelse'): yield from _statement_values(getattr(s, block, []))


def answers(ex) -> dict:
    """{normalised expression: its source} of what exercise `ex`'s lesson code computes, where it gives the answer away
    (an operator, a call or a dictionary over two names or attributes or more); its docstring left out"""
    f = ast.parse(ex.source).body[0]
    body = f.body[1:] if ast.get_docstring(f) else f.body
    return {ast.dump(v): ast.unparse(v) for v in _statement_values(body)
            if isinstance(v, (ast.BinOp, ast.Call, ast.Compare, ast.Dict))
            and sum(isinstance(n, (ast.Name, ast.Attribute)) for n in ast.walk(v)) > 1}


def given_away(clean, exercises) -> list:
    "'cell [N] holds EXPR, the answer to NAME' for each code cell of `clean` but the stubs holding an exercise's answer"
    stubs, found = {ex.id for ex in exercises}, []
    cells = [c for c in clean.cells if c.cell_type == 'code']
    for i, c in enumerate(cells, 1):
        if c.get('id') in stubs: continue
        try: tree = ast.parse(TransformerManager().transform_cell(code(c)))   # magics as IPython runs them
        except SyntaxError: continue
        held = {ast.dump(n) for n in ast.walk(tree) if isinstance(n, ast.expr)}
        found += [f"cell [{i}] holds {src}, the answer to {ex.name}" for ex in exercises
                  for key, src in answers(ex).items() if key in held]
    return found


@pytest.mark.parametrize('name', list(WRONG))
def test_a_clean_copy_tests_its_exercises_and_does_not_tell_them(name):
    "No cell of a clean copy but the stub holds what an exercise's lesson code computes (its body, normalised)"
    from course import ROOT
    exercises = lesson_exercises(load_nb(ROOT/'nbs'/name))
    assert all(answers(ex) for ex in exercises), [ex.name for ex in exercises if not answers(ex)]
    assert not given_away(load_nb(ROOT/'clean'/name), exercises)


def test_an_answer_given_away_is_named_with_its_cell():
    "A clean copy with the lesson's own `mse` body in a cell before the stub fails, naming that cell"
    lesson = build_nb(['#| exercise write mse\ndef mse(preds, acts):\n    "Mean squared error"\n'
                       '    return ((preds - acts)**2).mean()', '#| hide\nassert mse(1, 1) == 0'])
    clean = build_nb(['x, y = 1, 2', 'preds, acts = x, y\n((preds - acts)**2).mean()', 'def mse(preds, acts): ...'])
    clean.cells[2]['id'] = lesson.cells[0]['id']
    said = given_away(clean, lesson_exercises(lesson))
    assert said == ['cell [2] holds ((preds - acts) ** 2).mean(), the answer to mse'], said
