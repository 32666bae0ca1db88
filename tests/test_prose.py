"""Prose that agrees with its outputs: every number a lesson's markdown quotes with three or more significant digits
is one that the lesson prints, at the precision the prose gives it, in its saved outputs and in this session's run,
where dlcourse-check's rules hold: a number from a cell whose run lies within the spread of the lesson's runs on other
CPUs, or varies as they do, may move."""
import re
import pytest
from dlcourse.tools.compare import Status, cell_outputs, compare_cell
from dlcourse.tools.notebook import load_nb, lesson_notebooks
from course import ROOT, build_nb

LESSONS = lesson_notebooks(ROOT/'nbs')

# Quotes from elsewhere, each marked where it appears: (lesson, number) -> where it comes from.
ELSEWHERE = {
    ('02', '7,390'): "the number of photos in the whole Oxford-IIIT Pet dataset, the `pets` choice",
    ('03', '1.11'): "the PyTorch version in the name of timm's 2022 benchmark file",
    ('03', '11.3'): "the CUDA version in the name of timm's 2022 benchmark file",
    ('03', '5090'): "the GPU of timm's newest benchmark, RTX 5090",
    ('06', '256'): "the max_length the IMDB section's code sets, not a result",
    ('06', '128'): "the batch size of the lecture's notebook (course22's slides/nlp-intro.ipynb)",
}

_NUM = re.compile(r'(?<![\w.\-/:−])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w/]|\.\d)')
_PRINTED = re.compile(r'[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?')
_NOT_PROSE = (r'```.*?```', r'`[^`]*`', r'\]\([^)]*\)', r'<[^>]+>', r'https?://\S+')


def _significant(m) -> int:
    "Significant digits of a quoted number: leading zeros never count, an integer's trailing zeros neither"
    whole, frac = m.group(1).replace(',', ''), (m.group(2) or '')[1:]
    return len((whole + frac).lstrip('0')) if frac else len(whole.strip('0'))


def _is_year(m) -> bool: return not m.group(2) and 1900 <= int(m.group(1).replace(',', '')) <= 2100


def quoted(nb) -> list:
    "(number as written, its decimals) for each number of 3+ significant digits in the prose of notebook `nb`"
    res = []
    for c in nb.cells:
        if c.cell_type != 'markdown': continue
        text = c.source
        for pat in _NOT_PROSE: text = re.sub(pat, ' ', text, flags=re.S)
        res += [(m.group(0), len((m.group(2) or '')[1:])) for m in _NUM.finditer(text)
                if _significant(m) >= 3 and not _is_year(m)]
    return res


def printed(nb, ids=None) -> set:
    "Every number in the text of the outputs of notebook `nb` (of its cells `ids`, if given), as dlcourse-check reads"
    res = set()
    for c in nb.cells:
        if c.cell_type != 'code' or (ids is not None and c.get('id') not in ids): continue
        for t in _PRINTED.findall(cell_outputs(c).text):
            try: res.add(float(t.replace(',', '')))
            except ValueError: pass
    return res


def moved(saved, ran) -> set:
    "The ids of the cells of lesson `saved` whose outputs in notebook `ran` are within their spread, or vary"
    spread = saved.metadata.get('dlcourse', {}).get('spread', {}).get('cells', {})
    mine = {c.get('id'): c for c in ran.cells if c.cell_type == 'code'}
    return {c.id for c in saved.cells if c.get('id') in spread and c.id in mine and
            compare_cell(cell_outputs(c), cell_outputs(mine[c.id]), spread[c.id])[0] in (Status.SPREAD, Status.VARIES)}


def unprinted(lesson, ran) -> list:
    """The numbers quoted in the prose of `lesson`, not from elsewhere, that notebook `ran` does not print, nor the
    lesson in a cell that moved within its spread in `ran`"""
    saved, key = load_nb(lesson), lesson.name[:2]
    nums = printed(ran) | printed(saved, moved(saved, ran))
    return [q for q, d in quoted(saved) if (key, q) not in ELSEWHERE
            and not any(abs(round(v, d) - float(q.replace(',', ''))) < 1e-9 for v in nums)]


def test_the_rule_reads_numbers_as_a_reader_does():
    text = "Loss 0.14234, 28,589,128 parameters, lr 0.01, 100 points, in 2022, `resnet50` at 127.0.0.1, 0.220"
    md = build_nb(['md:' + text])
    assert quoted(md) == [('0.14234', 5), ('28,589,128', 0), ('0.220', 3)]


@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_numbers_in_the_prose_are_in_the_saved_outputs(lesson):
    assert not unprinted(lesson, load_nb(lesson))


def test_every_quote_from_elsewhere_is_still_quoted():
    "An entry of ELSEWHERE that no lesson quotes any more goes"
    quotes = {(p.name[:2], q) for p in LESSONS for q, _ in quoted(load_nb(p))}
    assert set(ELSEWHERE) <= quotes, set(ELSEWHERE) - quotes


@pytest.mark.slow
@pytest.mark.parametrize('lesson', LESSONS, ids=lambda p: p.name)
def test_numbers_in_the_prose_are_in_this_sessions_run(lesson, lesson_run):
    "A rerun that moves a number fails until the prose follows"
    assert not unprinted(lesson, lesson_run(lesson.name).nb)
