"The one reader of settings.ini, as the lessons use it."
import subprocess, sys
from dlcourse.tools.settings import course_settings, CourseSettings
from course import ROOT


def test_committed_settings_are_the_defaults(tmp_path):
    "The settings.ini the course ships (as committed: a learner may edit theirs) sets every key to its default"
    r = subprocess.run(['git', 'show', 'HEAD:settings.ini'], cwd=ROOT, capture_output=True, text=True)
    text = r.stdout if r.returncode == 0 else (ROOT/'settings.ini').read_text()
    for key in CourseSettings.__dataclass_fields__: assert f'\n{key} = ' in text, key
    (tmp_path/'settings.ini').write_text(text)
    assert course_settings(tmp_path/'settings.ini', environ={}) == CourseSettings()


def test_environment_overrides_a_key():
    script = 'from dlcourse.tools.settings import course_settings; print(course_settings().epochs)'
    out = subprocess.run([sys.executable, '-c', script], env={'DLCOURSE_EPOCHS': '1', 'PATH': ''}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '1'
