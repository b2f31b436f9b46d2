"""The documentation agrees with the code: generated reference pages are up to date, the
README is a front door (short, nothing outside the repository), its links resolve."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _docs_refs():
    spec = importlib.util.spec_from_file_location("docs_refs", ROOT / "scripts" / "docs_refs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs_refs = _docs_refs()


@pytest.mark.parametrize("page", sorted(docs_refs.PAGES))
def test_generated_reference_page_matches_the_code(page):
    written = (ROOT / "docs" / "reference" / page).read_text()
    assert written == docs_refs.PAGES[page](), (
        f"docs/reference/{page} is stale: run .venv/bin/python scripts/docs_refs.py"
    )


def test_every_setting_read_from_the_environment_is_documented():
    declared = docs_refs.settings_declared()
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text()
    assert {"DATABASE_URL", "REDIS_URL", "RELAIS_MAX_BODY_BYTES", "RELAIS_WSGI_THREADS"} <= set(
        declared
    )
    missing = [name for name in declared if f"`{name}`" not in page]
    assert missing == []


def test_configuration_reference_refuses_an_undocumented_setting(tmp_path, monkeypatch):
    described = tmp_path / "configuration.yml"
    described.write_text(
        "- section: Only one\n  variables:\n  - names: [DATABASE_URL]\n    meaning: x\n"
    )
    monkeypatch.setattr(docs_refs, "REFERENCE", tmp_path)
    with pytest.raises(ValueError, match="REDIS_URL: read by the settings but not described"):
        docs_refs.configuration_page()


def test_error_codes_are_read_from_the_code():
    codes = docs_refs.error_codes()
    # An ApiError raised with its status, a license code, the exception handler's table.
    assert codes["ROLLOUT_ACTIVE"]["statuses"] == {409}
    assert "TOO_MANY_DEVICES" in codes and "THROTTLED" in codes
    assert codes["PAYLOAD_TOO_LARGE"]["modules"]


def test_event_types_page_lists_the_registry():
    _, types = docs_refs.event_registry()
    page = (ROOT / "docs" / "reference" / "events.md").read_text()
    assert [line.split("`")[1] for line in page.splitlines() if line.startswith("| `")] == list(
        types
    )


def test_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    assert "../" not in readme  # nothing outside the repository
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target
    for path in re.findall(r"`((?:docs|bench|scripts|docker|clients)/[\w./-]+)`", readme):
        assert (ROOT / path).exists(), path
