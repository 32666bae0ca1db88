"""How far each lesson's outputs moved on the variants of the CPU that `dlcourse-spread` ran them on (make export), as
recorded in the lessons: for each lesson, how many of its code cells with outputs dlcourse-check compares exactly,
within a range, or as varying from machine to machine; for each cell that moved, its first line, its largest relative
move and the range of each number that moved. Nothing runs: it reads nbs/."""
from pathlib import Path
from dlcourse.tools.compare import VARIES, VARIES_AT, cell_outputs, cell_scale, numbers, varies
from dlcourse.tools.notebook import code, lesson_notebooks, load_nb

ROOT = Path(__file__).resolve().parents[1]


def kind(entry) -> str:
    "How dlcourse-check compares a cell whose outputs moved as `entry` records"
    text, images = entry.get('text', []), entry.get('images', 0)
    if varies(text) or images == VARIES or images >= VARIES_AT or entry.get('charts') == VARIES: return 'varies'
    return 'within a range'


def moved(nb, cell_id, ranges, most=8) -> str:
    "The numbers of cell `cell_id` that moved, as lesson's value (lo–hi)"
    cell = next(c for c in nb.cells if c.get('id') == cell_id)
    pairs = [(v, lo, hi) for v, (lo, hi) in zip(numbers(cell_outputs(cell).text), ranges) if lo != hi]
    shown = ', '.join(f"{v:g} ({lo:g}–{hi:g})" for v, lo, hi in pairs[:most])
    return shown + (f", and {len(pairs) - most} more" if len(pairs) > most else '')


for path in lesson_notebooks(ROOT/'nbs'):
    nb = load_nb(path)
    spread = nb.metadata.get('dlcourse', {}).get('spread')
    if not spread:
        print(f"{path.name}: no spread recorded; run make export")
        continue
    cells = spread['cells']
    shown = [c for c in nb.cells if c.cell_type == 'code' and c.get('outputs')]
    kinds = [kind(cells[c.id]) if c.id in cells else 'exactly' for c in shown]
    counts = ', '.join(f"{kinds.count(k)} {k}" for k in ('exactly', 'within a range', 'varies'))
    print(f"{path.name}: {len(shown)} cells with outputs, compared {counts} ({len(spread['variants'])} variants: "
          f"{'; '.join(spread['variants'])})")
    for c, k in zip(shown, kinds):
        if k == 'exactly': continue
        entry = cells[c.id]
        first = code(c).splitlines()[0][:60]
        text = entry.get('text')
        detail = (f"largest move {cell_scale(text):.0%}: {moved(nb, c.id, text)}" if text and not varies(text)
                  else 'varies' if text else '')
        if 'images' in entry:
            share = entry['images']
            detail += f"; pictures: {share if share == VARIES else format(share, '.0%')} of drawn pixels changed"
        print(f"  [{c.id}] {k:<15} {first}\n      {detail.strip('; ')}")
