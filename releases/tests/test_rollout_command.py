import pytest
from django.core.management import CommandError, call_command

from licensing.tests.factories import ProductFactory
from releases.models import Release, Rollout

pytestmark = pytest.mark.django_db


def test_publish_release_with_a_rollout(tmp_path, capsys):
    ProductFactory(slug="itstock-crm")
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ" + b"\0" * 100)
    call_command(
        "publish_release", "itstock-crm", "1.2.0", "--file", str(exe),
        "--rollout", "10,50,100", "--hold", "60",
    )  # fmt: skip
    release = Release.objects.get()
    rollout = Rollout.objects.get(release=release)
    assert release.status == "published" and release.current_rollout == rollout
    assert rollout.stages == [{"percent": p, "holdMinutes": 60} for p in (10, 50, 100)]
    assert rollout.status == "running" and rollout.percent == 10 and not rollout.forced
    assert "rollout" in capsys.readouterr().out


@pytest.mark.parametrize("percents", ["50,10", "0,100", "10,abc", "10,101"])
def test_bad_stages_leave_nothing(tmp_path, percents):
    ProductFactory(slug="crm")
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(CommandError, match="INVALID_STAGES"):
        call_command("publish_release", "crm", "1.0.0", "--file", str(exe), "--rollout", percents)
    assert not Release.objects.exists() and not Rollout.objects.exists()
