"""tools/configure_lab.py: a quiet JupyterLab in the course's own environment."""

import importlib.util
import json
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "configure_lab", Path(__file__).resolve().parents[1] / "tools" / "configure_lab.py"
)
configure_lab = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(configure_lab)


def test_writes_quiet_settings_inside_the_prefix(tmp_path):
    overrides, server = configure_lab.configure(tmp_path, "zh")
    assert tmp_path in overrides.parents and tmp_path in server.parents
    lab = json.loads(overrides.read_text())
    notification = lab["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    assert lab["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    config = json.loads(server.read_text())["LabApp"]
    assert (
        config["news_url"] is None and "NeverCheck" in config["check_for_updates_class"]
    )


@pytest.mark.parametrize(
    ("value", "language"),
    [
        ("zh", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("en_US.UTF-8", "en"),
        ("C.UTF-8", "en"),
        ("", "en"),
    ],
)
def test_language_from_the_lang_variable(value, language):
    assert configure_lab.language_from(value) == language


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        configure_lab.lab_overrides("fr")
