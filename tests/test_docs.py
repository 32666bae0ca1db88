"""The README, TEACHING.md and CONTRIBUTING.md: a README a learner reads to the end, and commands and samples that are
real"""
import re
import shlex
import subprocess

import nbformat
import pytest

from course import ROOT, cmd, course_copy, solve

DOCS = ('README.md', 'TEACHING.md', 'CONTRIBUTING.md')
README_MAX = 12_000   # bytes


def doc(name): return (ROOT/name).read_text(encoding='utf-8')


def commands(text) -> list:
    "Each command line of `text`'s bash blocks, and each inline `make ...` or `dlcourse-...` command, comments cut"
    lines = [l for b in re.findall(r'```bash\n(.*?)```', text, flags=re.S) for l in b.splitlines()]
    lines += re.findall(r'`((?:sudo )?make [^`]+|(?:\.venv/bin/)?dlcourse-[a-z]+(?: [^`]*)?)`', text)
    return [c for l in lines for part in l.split('#', 1)[0].split('&&') if (c := part.strip())]


def make_targets() -> set:
    "The targets the Makefile defines"
    return set(re.findall(r'^([\w-]+):', (ROOT/'Makefile').read_text(), flags=re.M))


def unknown(command, targets, helps) -> str:
    "Why `command` is not the course's, or '': a Makefile target, a dlcourse command and its flags (or another program)"
    words = shlex.split(command)
    if words[0] == 'sudo': words = words[1:]
    if words[0] == 'make':
        missing = [w for w in words[1:] if '=' not in w and w not in targets]
        return f"make has no target {missing}" if missing else ''
    prog = words[0].removeprefix('.venv/bin/')
    if not prog.startswith('dlcourse-'): return ''   # git, cd
    if prog not in helps: helps[prog] = subprocess.run([cmd(prog), '--help'], capture_output=True, text=True).stdout
    flags = [w.split('=')[0] for w in words[1:] if w.startswith('--')]
    missing = [f for f in flags if not re.search(rf'{re.escape(f)}\b', helps[prog])]
    return f"{prog} has no {missing}" if missing or not helps[prog] else ''


def test_the_readme_is_short_and_points_to_the_rest():
    "The README stays under 12 KB, has the two commands, and links the teachers' and the authors' files"
    text = doc('README.md')
    assert len(text.encode()) <= README_MAX, f"README.md is {len(text.encode())} bytes, over {README_MAX}"
    assert 'make lab' in text and 'make test' in text
    for name in ('TEACHING.md', 'CONTRIBUTING.md'): assert f']({name})' in text, name


def test_every_link_between_the_docs_is_to_a_file_here():
    "A relative link in the three files names a file or folder of the course"
    links = [(name, l) for name in DOCS for l in re.findall(r'\]\(([^)#]+)\)', doc(name)) if '://' not in l]
    missing = [f"{name}: {l}" for name, l in links if not (ROOT/l).exists()]
    assert links and not missing, missing


def test_every_command_in_the_docs_is_one_the_course_has():
    "Each make command names a target of the Makefile, and each dlcourse command only flags its --help lists"
    targets, helps = make_targets(), {}
    found = [(name, c) for name in DOCS for c in commands(doc(name))]
    assert len(found) >= 15, found
    bad = [f"{name}: {c}: {why}" for name, c in found if (why := unknown(c, targets, helps))]
    assert not bad, '\n'.join(bad)


def test_a_command_that_is_not_the_courses_is_caught():
    "The check above fails on a target or a flag that does not exist"
    assert 'no target' in unknown('make lesson', make_targets(), {})
    assert 'no [' in unknown('.venv/bin/dlcourse-check clean/x.ipynb --fast', make_targets(), {})


@pytest.mark.slow
def test_the_readmes_sample_report_is_a_real_run(tmp_path):
    """The README's sample report comes from a run of the clean lesson 1 it names, with the exercises written as the
    lesson writes them and a learning rate ten times larger in one cell: each line it shows, the run printed"""
    lead = r'`gd_step\(abc, 0.1\)`, in the loop of cell 24[^\n]*\n\n'
    sample = re.search(lead + r'```\n(.*?)```', doc('README.md'), flags=re.S)
    assert sample, "README.md: no sample report after the sentence on `gd_step(abc, 0.1)` in the loop of cell 24"
    nb = solve(nbformat.read(ROOT/'clean/01_neural_net_basics.ipynb', as_version=4),
               nbformat.read(ROOT/'nbs/01_neural_net_basics.ipynb', as_version=4).cells)
    loop = [c for c in nb.cells if c.cell_type == 'code' and c.source.startswith('for i in range(10):')]
    assert len(loop) == 1 and 'gd_step(abc, 0.01)' in loop[0].source
    loop[0].source = loop[0].source.replace('gd_step(abc, 0.01)', 'gd_step(abc, 0.1)')
    course = course_copy(tmp_path/'course')
    nbformat.write(nb, course/'clean/01_neural_net_basics.ipynb')
    r = subprocess.run([cmd('dlcourse-check'), 'clean/01_neural_net_basics.ipynb', '--run'], cwd=course,
                       capture_output=True, text=True)
    printed = r.stdout.splitlines()
    missing = [l for l in sample.group(1).splitlines() if l != '...' and l not in printed]
    assert not missing, f"not in the run's report: {missing}\n{r.stdout[-3000:]}{r.stderr[-2000:]}"
