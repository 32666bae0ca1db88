"""Lesson 5's spreadsheets, recalculated by a real spreadsheet program (headless LibreOffice): the model the lesson
writes computes the loss PyTorch computes, and its formulas are live (a changed parameter moves the loss as it moves
PyTorch's)."""
import openpyxl, pytest, torch
import torch.nn.functional as F

LESSON5 = '05_spreadsheet_model.ipynb'
pytestmark = pytest.mark.slow   # each test questions the session's run of lesson 5


@pytest.fixture(scope='module')
def lesson5(lesson_run):
    "Lesson 5's session run, with its tensors (as float64 tensors) and the path of the spreadsheet it wrote"
    r = lesson_run(LESSON5)
    ns = {k: torch.tensor(r.value(f'{k}.tolist()'), dtype=torch.float64) for k in ('W', 'X', 'y', 'w')}
    return dict(ns, run=r, xl=r.value('str(xl.resolve())'), mmult_loss=r.value('mmult_loss(W).item()'))


@pytest.mark.libreoffice
def test_written_model_recalculates_to_the_pytorch_loss(lesson5, tmp_path):
    "LibreOffice computes the total loss of titanic_nnet.xlsx, which the lesson writes, within 1e-6 of PyTorch's"
    from dlcourse.tools.spreadsheet import recalculate, read_total_loss
    ns = lesson5
    W, X, y = ns['W'], ns['X'], ns['y']
    want = ns['mmult_loss']
    got = read_total_loss(recalculate(ns['xl'], tmp_path/'recalculated.xlsx'))
    assert isinstance(got, float), got
    assert abs(got - want) < 1e-6, (got, want)
    # the formulas are live: change Male's first parameter (S12) in the file and both sides move together
    wb = openpyxl.load_workbook(ns['xl'])
    wb['model']['S12'] = 0.0
    wb.save(edited := tmp_path/'edited.xlsx')
    W2 = W.detach().clone(); W2[8, 0] = 0.
    want2 = ((F.relu(X@W2).sum(1) - y)**2).mean().item()
    got2 = read_total_loss(recalculate(edited, tmp_path/'edited.recalculated.xlsx'))
    assert abs(want2 - want) > 1e-3 and abs(got2 - want2) < 1e-6, (got2, want2, want)


@pytest.mark.libreoffice
def test_linear_model_and_the_lectures_sheets_recalculate(lesson5, tmp_path):
    "A linear model written with write_model_xlsx, and the lecture's own workbook, recalculated: PyTorch's losses"
    from dlcourse.tools.spreadsheet import recalculate, read_total_loss, titanic_xlsx
    ns = lesson5
    w, X, y = ns['w'], ns['X'], ns['y']
    linear = str(tmp_path/'linear.xlsx')
    ns['run'].run(f"from dlcourse.tools.spreadsheet import write_model_xlsx as _write\n_xl = _write(df, w, {linear!r})")
    xl = ns['run'].value('str(_xl)')   # the lesson's DataFrame and parameters, written in its kernel
    assert abs(read_total_loss(recalculate(xl)) - ((X@w - y)**2).mean().item()) < 1e-6
    lecture = recalculate(titanic_xlsx(), tmp_path/'titanic.xlsx')
    for sheet in ('nnet', 'mmult'):
        assert abs(read_total_loss(lecture, sheet) - read_total_loss(titanic_xlsx(), sheet)) < 1e-6, sheet
    assert (tmp_path/'linear.recalculated.xlsx').exists() and not list(tmp_path.glob('.*.tmp'))


def test_exported_functions_work_outside_the_lesson(lesson5):
    "dlcourse.spreadsheet_model, imported here: add_features and cells give the lesson's X and the sheet's parameters"
    from dlcourse.spreadsheet_model import add_features, cells, accuracy
    from dlcourse.tools.spreadsheet import load_titanic, titanic_xlsx, FEATURES
    df = add_features(load_titanic().dropna(subset=['Age', 'Embarked']).reset_index(drop=True))
    assert torch.equal(torch.tensor(df[FEATURES].values), lesson5['X'])
    W = cells(openpyxl.load_workbook(titanic_xlsx())['mmult'], 'S4:T13')
    assert W.shape == (10, 2) and W.dtype == torch.float64
    assert accuracy(torch.tensor([0.2, 0.7, 0.6]), torch.tensor([0., 1., 0.])) == 2/3
