"""Sentences of each lesson's markdown that are new or rewritten since a commit, and those gone (code blocks left out).
Run: .venv/bin/python bench/sentences_changed.py COMMIT"""
import json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sentences(text) -> set:
    "The sentences of markdown `text`, fenced code left out"
    text = re.sub(r'```.*?```', ' ', text, flags=re.S)
    return {s.strip() for s in re.split(r'(?<=[.!?:])\s+(?=[A-Z`*(\[])', text) if len(s.strip()) > 3}


def prose(nb_json) -> str:
    "The markdown of a notebook, given as its JSON text"
    return '\n\n'.join(''.join(c['source']) for c in json.loads(nb_json)['cells'] if c['cell_type'] == 'markdown')


if __name__ == '__main__':
    base = sys.argv[1]
    for p in sorted((ROOT/'nbs').glob('0*.ipynb')):
        old = subprocess.run(['git', 'show', f'{base}:nbs/{p.name}'], capture_output=True, text=True, cwd=ROOT).stdout
        a, b = sentences(prose(old)), sentences(prose(p.read_text()))
        print(f"{p.stem:<28} sentences now {len(b):>4}  new or rewritten {len(b - a):>3}  gone {len(a - b):>3}")
