import pytest

from releases.versions import parse_version


@pytest.mark.parametrize(
    ("text", "normal"),
    [("1.2.3", "1.2.3"), ("1.2", "1.2.0"), ("v2", "2.0.0"), ("1.0.0-beta.1", "1.0.0-beta.1")],
)
def test_loose_versions_are_completed(text, normal):
    assert str(parse_version(text)) == normal


@pytest.mark.parametrize("text", ["", "abc", "1.2.3.4", "1..2", "1.0.0-", "x" * 200])
def test_malformed_versions(text):
    with pytest.raises(ValueError):
        parse_version(text)


def test_ordering_is_semantic():
    versions = ["1.10.0", "1.9.0", "1.10.0-rc.1", "2.0.0", "1.2.0"]
    ordered = sorted(versions, key=parse_version)
    assert ordered == ["1.2.0", "1.9.0", "1.10.0-rc.1", "1.10.0", "2.0.0"]
