"Shared paths for the tests: the repository root and its virtual environment's commands."
import shutil, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def cmd(name):
    "The path of console command `name` installed beside the running Python"
    return str(BIN/name)


@pytest.fixture
def repo_copy(tmp_path):
    "A copy of what nbdev and dlcourse-clean read and write: nbs/, lib/, clean/, pyproject.toml, settings.ini"
    dst = tmp_path/'repo'
    for d in ('nbs', 'lib', 'clean'):
        shutil.copytree(ROOT/d, dst/d, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints', '*.learner-*'))
    for f in ('pyproject.toml', 'settings.ini', 'README.md'):
        shutil.copy(ROOT/f, dst/f)
    return dst
