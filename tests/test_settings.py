"The one reader of settings.ini, as the lessons use it."
import subprocess, sys
from dlcourse.settings import course_settings, CourseSettings, SettingsError
from conftest import ROOT


def test_repo_settings_have_every_key():
    text = (ROOT/'settings.ini').read_text()
    for key in CourseSettings.__dataclass_fields__: assert f'\n{key} = ' in text, key
    s = course_settings(environ={})
    assert s.arch == 'convnext_tiny_in22k' and s.dataset == 'digits' and s.pretrained == 'auto'


def test_environment_overrides_a_key():
    out = subprocess.run([sys.executable, '-c', 'from dlcourse.settings import course_settings; print(course_settings().epochs)'],
                         env={'DLCOURSE_EPOCHS': '1', 'PATH': ''}, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '1'


def test_bad_value_names_the_key(tmp_path):
    p = tmp_path/'settings.ini'
    p.write_text('[course]\nimg_size = big\n')
    try: course_settings(p, environ={})
    except SettingsError as e: assert str(e) == "settings.ini: img_size = 'big' is not a whole number"
    else: raise AssertionError('no error')
