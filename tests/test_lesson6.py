"""Lesson 6 beyond its own run (its bad-input checks are #| hide cells, run by the lesson_run fixture): the issue's figures on
this machine, the online section's code run against a stand-in for the Hub, and `dlcourse.nlp` imported on its own."""
import time
from unittest.mock import patch
import pytest

LESSON6 = '06_nlp.ipynb'


@pytest.fixture(scope='module')
def lesson6(lesson_run):
    return lesson_run(LESSON6)


def cell(nb, start):
    "The source of the lesson's one code cell that starts with `start`"
    hits = [c.source for c in nb.cells if c.cell_type == 'code' and c.source.startswith(start)]
    assert len(hits) == 1, start
    return hits[0]


def test_pretrained_against_random_meets_the_issue_figures(lesson6):
    "Issue 14's targets on this machine (the lesson's own hidden checks are looser, for other hardware): the fine-tuned model at least 0.93 accurate, at least 0.25 above the same training from random weights"
    r = lesson6.shell.user_ns['results']
    assert r.loc['accuracy', 'pretrained'] >= 0.93, r
    assert r.loc['accuracy', 'pretrained'] - r.loc['accuracy', 'random'] >= 0.25, r


def test_offline_the_online_section_says_so_without_waiting(lesson6):
    "Here (no internet) the lesson printed its one line, and the probe it relies on gives up within its few seconds"
    from dlcourse.data import reachable
    out = [o for c in lesson6.nb.cells if c.cell_type == 'code' and c.source.startswith('online =') for o in c.outputs]
    assert [o.get('text') for o in out] == [["Offline: huggingface.co cannot be reached, so the IMDB section is skipped.\n"]], out
    start = time.perf_counter()
    assert reachable('huggingface.co') is False
    assert time.perf_counter() - start < 5


def test_online_section_fine_tunes_on_what_the_hub_returns(lesson6):
    "The IMDB cell, run in the lesson's session with the Hub answering (a stand-in with IMDB's columns and sizes): it trains with the lesson's fine_tune and classifies"
    from datasets import Dataset, DatasetDict
    def split(n): return Dataset.from_dict({'text': ['a wonderful film' if i % 2 else 'a dreadful film' for i in range(n)],
                                            'label': [i % 2 for i in range(n)]})
    imdb = DatasetDict(train=split(2500), test=split(600), unsupervised=split(10))
    ns = lesson6.shell.user_ns
    # patch.dict puts the lesson's namespace back as it was afterwards (the names the cell defines go with it)
    with patch.dict(ns, reachable=lambda *a, **k: True), patch('datasets.load_dataset', return_value=imdb) as load:
        out = lesson6.shell.run(cell(lesson6.nb, 'online =') + '\n' + cell(lesson6.nb, 'if online:'))
        assert lesson6.shell.exc is None, lesson6.shell.exc
        load.assert_called_once_with('stanfordnlp/imdb')
        tr = ns['imdb_trainer']
        assert len(tr.train_dataset) == 2000 and len(tr.eval_dataset) == 500
        assert tr.state.epoch == 1 and tr.model is not ns['model'], "a fresh pretrained model, one epoch"
    text = ''.join(''.join(o.get('text', '')) for o in out)
    assert 'Offline' not in text and 'epoch' in text and "'what a wonderful day':" in text, text


def test_classify_text_imported_from_the_package():
    "dlcourse.nlp works outside the lesson: its export carries its imports"
    from transformers import AutoTokenizer, AutoModelForSequenceClassification
    from dlcourse.nlp import classify_text
    from dlcourse.text import minilm_path
    path = minilm_path()
    tokz, model = AutoTokenizer.from_pretrained(path), AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    p = classify_text(model, tokz, 'a fine day')
    assert list(p) == ['LABEL_0', 'LABEL_1'] and abs(sum(p.values()) - 1) < 1e-5
    with pytest.raises(TypeError, match='not bytes'): classify_text(model, tokz, b'a fine day')
