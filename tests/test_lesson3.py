"""Lesson 3 and its tools (tools.model_speed): timm's published results ship with the package and join correctly;
the lesson's saved charts; the benchmark on this machine."""
import json, subprocess
import pandas as pd
import pytest
from dlcourse.which_image_models import family
from dlcourse.tools.model_speed import (timm_csv, TIMM_FILES, base_name, join_results, speed_table, benchmark_models,
                            rank_agreement)
from course import ROOT, cmd


@pytest.mark.parametrize('key', list(TIMM_FILES))
def test_published_tables_load(key):
    df = timm_csv(key)
    assert len(df) > 500 and 'model' in df.columns
    assert ('top1' in df.columns) == key.startswith('imagenet')


def test_names_and_families():
    assert base_name('convnext_tiny.fb_in22k_ft_in1k_384') == 'convnext_tiny' and base_name('resnet50d') == 'resnet50d'
    cases = {'resnet50': 'resnet', 'resnet50d': 'resnetd', 'resnet50.d_in1k': 'resnet',
             'resnet101d.ra2_in1k': 'resnetd',
             'convnext_base_in22ft1k': 'convnext_in22', 'convnext_tiny.fb_in22k_ft_in1k': 'convnext_in22',
             'convnext_tiny.fb_in1k': 'convnext',
             'efficientnetv2_rw_t': 'efficientnetv2', 'efficientnet_b0': 'efficientnet', 'levit_128s': 'levit',
             'regnetx_016': 'regnetx', 'vgg11': 'vgg', 'vit_small_patch16_224': 'vit',
             'swin_tiny_patch4_window7_224': 'swin'}
    assert {m: family(m) for m in cases} == cases


def test_join_tagged_names_by_architecture_and_size():
    j = join_results(timm_csv('imagenet'), timm_csv('infer_5090'))
    rows = j[j.arch == 'convnext_tiny'].set_index('model')
    assert rows.loc['convnext_tiny.fb_in22k_ft_in1k_384', 'img_size'] == 384
    assert sorted(rows.loc['convnext_tiny.fb_in1k', 'img_size']) == [224, 288]      # one row per published resolution
    bench = timm_csv('infer_5090').set_index(['model', 'infer_img_size'])
    for m, r in rows.iterrows():
        assert r.infer_samples_per_sec == bench.loc[('convnext_tiny', r.img_size), 'infer_samples_per_sec']


def test_join_2022_untagged_names():
    df = speed_table('imagenet_2022', 'infer_3090', family=family)
    assert {'convnext_tiny', 'convnext_base_in22ft1k', 'levit_128s', 'resnet50d'} <= set(df.model)
    r = df.set_index('model').loc['levit_128s']
    published = timm_csv('infer_3090').set_index('model').loc['levit_128s', 'infer_samples_per_sec']
    assert r.secs == pytest.approx(1 / published)
    assert df.set_index('model').loc['convnext_base_in22ft1k', 'family'] == 'convnext_in22'


def saved_charts(nb=ROOT/'nbs/03_which_image_models.ipynb'):
    "The plotly figures (as dicts) in the lesson's saved outputs, in order, each with whether a PNG was saved beside it"
    cells = [c for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
    return [(o['data']['application/vnd.plotly.v1+json'], 'image/png' in o['data'])
            for c in cells for o in c.get('outputs', []) if 'application/vnd.plotly.v1+json' in o.get('data', {})]


def test_chart_axes():
    (fig, png), (fig2, _), *_ = saved_charts()
    lay = fig['layout']
    assert lay['xaxis']['type'] == 'log' and lay['xaxis']['title']['text'] == 'secs'
    assert lay['yaxis']['title']['text'] == 'top1'
    markers = {t['name']: t['marker']['color'] for t in fig['data'] if t['mode'] == 'markers'}
    assert len(markers) > 3 and png
    lines = [t for t in fig['data'] if t['mode'] == 'lines']           # a trend line per family, in the family's colour
    assert {t['name'] for t in lines} == set(markers) and all(t['marker']['color'] == markers[t['name']] for t in lines)
    assert fig2['layout']['xaxis']['title']['text'] == 'param_count'


def test_benchmark_two_tiny_models_and_a_bad_name(tmp_path, capsys):
    res = benchmark_models(['test_vit', 'no_such_model', 'test_byobnet'], csv=tmp_path/'b.csv', quiet=True)
    assert "benchmark: no_such_model: no timm model named 'no_such_model'; skipped" in capsys.readouterr().out
    assert list(res.model) == ['test_vit', 'test_byobnet']
    assert {'model', 'img_size', 'batch_size', 'secs', 'param_count', 'device', 'threads'} <= set(res.columns)
    assert (res.secs > 0).all()
    again = benchmark_models(['test_vit'], csv=tmp_path/'b.csv', quiet=True)     # cached
    assert again.secs.tolist() == res.secs[:1].tolist()


def test_rank_agreement_joins_on_model_and_size():
    mine = pd.DataFrame(dict(model=['resnet50', 'levit_128s', 'vgg11'], img_size=[224, 224, 224],
                             secs=[0.05, 0.01, 0.2]))
    rho, j = rank_agreement(mine)
    assert len(j) == 3 and rho == pytest.approx(1.0)


def test_dlcourse_bench_command(tmp_path):
    "One run measures the good name, writes it, names the bad one and exits 1"
    argv = [cmd('dlcourse-bench'), '--models', 'test_vit,nope', '--out', str(tmp_path/'x.csv')]
    r = subprocess.run(argv, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "nope: no timm model named 'nope'" in r.stdout and 'written to' in r.stdout, r.stdout
    assert pd.read_csv(tmp_path/'x.csv').model.tolist() == ['test_vit']
