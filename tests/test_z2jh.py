"deploy/z2jh/config.yaml passes Zero to JupyterHub's schema, merged over the chart's defaults as Helm merges them."
import copy, re
import jsonschema, pytest, yaml
from course import ROOT

Z2JH = ROOT/'deploy'/'z2jh'


def _load(name):
    "A YAML file of deploy/z2jh/"
    return yaml.safe_load((Z2JH/name).read_text())


def merge(base, over):
    "`over` deep-merged into a copy of `base`: dicts merge key by key, anything else is replaced"
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def errors(over):
    "The schema's errors for the chart's default values with `over` merged in, as 'path: message' lines"
    schema = _load('values.schema.yaml')
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(merge(_load('values.yaml'), over))]


@pytest.fixture(scope='module')
def config():
    "The course's config, merged over the chart's defaults"
    return merge(_load('values.yaml'), _load('config.yaml'))


def test_schema_is_draft7():
    "The chart's schema declares JSON Schema draft 7, so validator_for picks Draft7Validator"
    schema = _load('values.schema.yaml')
    assert schema['$schema'] == 'http://json-schema.org/draft-07/schema#'
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator


def test_defaults_valid():
    "The chart's own values pass its schema, so a failure below is the config's"
    assert errors({}) == []


def test_config_valid():
    "The course's config, merged over the chart's defaults, passes the chart's schema"
    assert errors(_load('config.yaml')) == []


def test_pulls_lesson1(config):
    "A learner's first page pulls the course with nbgitpuller and opens clean lesson 1, from a pinned image"
    su = config['singleuser']
    assert su['defaultUrl'].startswith('/git-pull?') and 'clean%2F01_neural_net_basics.ipynb' in su['defaultUrl']
    assert (ROOT/'clean'/'01_neural_net_basics.ipynb').exists()
    assert su['image']['name'] == 'ghcr.io/dlcourse/dlcourse-singleuser'
    assert re.fullmatch(r'\d+\.\d+\.\d+', su['image']['tag'])


def _bytes(q):
    "A Kubernetes quantity such as 1G, 512M or 2Gi in bytes"
    m = re.fullmatch(r'(\d+(?:\.\d+)?)([KMGT]i?)?', str(q))
    assert m, q
    unit = m[2] or ''
    return float(m[1]) * ((1024 if unit.endswith('i') else 1000) ** ('KMGT'.index(unit[0]) + 1) if unit else 1)


def test_resources(config):
    "Memory and CPU each have a guarantee no larger than their limit; the home volume has a capacity"
    mem, cpu, storage = config['singleuser']['memory'], config['singleuser']['cpu'], config['singleuser']['storage']
    assert 0 < _bytes(mem['guarantee']) <= _bytes(mem['limit'])
    assert 0 < cpu['guarantee'] <= cpu['limit']
    assert storage['type'] == 'dynamic' and storage['homeMountPath'] == '/home/jovyan' and _bytes(storage['capacity'])


def test_cull(config):
    "Idle servers are stopped"
    assert config['cull']['enabled'] and config['cull']['timeout'] > 0 and config['cull']['every'] > 0


def test_teacher(config):
    "The teacher's role reaches the class page, a service the hub knows"
    hub = config['hub']
    assert 'access:services!service=class-page' in hub['loadRoles']['teacher']['scopes']
    assert hub['loadRoles']['teacher']['users'] and 'class-page' in hub['services']
    assert hub['activeServerLimit'] > 0 and hub['concurrentSpawnLimit'] > 0


@pytest.mark.parametrize('over, said', [
    ({'singleuser': {'memroy': {'limit': '1G'}}}, "singleuser: Additional properties are not allowed ('memroy' was"),
    ({'cull': {'timeout': 'soon'}}, "cull.timeout: 'soon' is not of type 'integer'"),
    ({'hub': {'activeServerLimit': 'many'}}, "hub.activeServerLimit: 'many' is not of type 'integer'")])
def test_invalid_fails(over, said):
    "A misspelled key or a value of the wrong type is the one error, naming the key"
    errs = errors(over)
    assert len(errs) == 1 and errs[0].startswith(said), errs


def test_license():
    "The chart's files come with their licence"
    assert (Z2JH/'LICENSE').read_text().startswith('BSD 3-Clause License')


def test_dockerfile():
    "The image installs the course, and runs jupyterhub-singleuser as a user other than root"
    text = (ROOT/'deploy'/'Dockerfile').read_text()
    assert re.search(r'^RUN pip install .*-e /opt/dlcourse\s*$', text, re.M)
    assert re.search(r'^CMD \["jupyterhub-singleuser"\]\s*$', text, re.M)
    users = re.findall(r'^USER (\S+)', text, re.M)
    assert users and users[-1] not in ('root', '0')
