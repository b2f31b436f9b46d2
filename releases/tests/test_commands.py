import pytest
from django.core.management import CommandError, call_command

from licensing.tests.factories import ProductFactory
from releases.models import Artifact, Release

pytestmark = pytest.mark.django_db


def test_publish_release_for_ci(tmp_path, capsys):
    product = ProductFactory(slug="itstock-crm")
    exe = tmp_path / "ITStock-CRM-1.1.0.exe"
    exe.write_bytes(b"MZ" + b"\0" * 5000)
    tarball = tmp_path / "itstock-crm-1.1.0.tar.gz"
    tarball.write_bytes(b"\x1f\x8b" + b"\1" * 100)
    call_command(
        "publish_release",
        "itstock-crm",
        "1.1.0",
        "--notes",
        "Nouvelles fonctionnalités",
        "--file",
        f"{exe}:windows-x86_64",
        "--file",
        f"{tarball}:linux-x86_64",
        "--publish",
    )
    release = Release.objects.get(product=product)
    assert release.status == "published" and release.notes == "Nouvelles fonctionnalités"
    assert set(release.artifacts.values_list("platform", flat=True)) == {
        "windows-x86_64",
        "linux-x86_64",
    }
    assert "published" in capsys.readouterr().out


def test_publish_release_is_all_or_nothing(tmp_path):
    ProductFactory(slug="crm")
    good = tmp_path / "a.exe"
    good.write_bytes(b"a")
    with pytest.raises(CommandError, match="UNKNOWN_PLATFORM"):
        call_command(
            "publish_release", "crm", "1.0.0", "--file", str(good), "--file", f"{good}:beos"
        )
    assert not Release.objects.exists() and not Artifact.objects.exists()
    with pytest.raises(CommandError, match="No such file"):
        call_command("publish_release", "crm", "1.0.0", "--file", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="No product"):
        call_command("publish_release", "nope", "1.0.0")
