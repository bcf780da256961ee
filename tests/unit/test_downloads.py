"""Download link signing and the storage settings, without a server: what is signed, which links parse, where
the secret comes from, and that boto3 stays off the start-up path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from talking_video_mcp.downloads import Downloads, Signer, load_secret, parse_link
from talking_video_mcp.settings import Settings
from talking_video_mcp.storage import S3Location


def _settings(home: Path, **values: object) -> Settings:
    return Settings(TALKING_VIDEO_HOME=home, **values)  # type: ignore[arg-type]


def test_the_signature_covers_job_owner_and_expiry() -> None:
    signer = Signer(b"k" * 32)
    base = signer.signature("job_1", None, 100)
    assert len(base) == 43 and base == signer.signature("job_1", "", 100)
    others = {signer.signature("job_2", None, 100), signer.signature("job_1", "alice", 100),
              signer.signature("job_1", None, 101), Signer(b"j" * 32).signature("job_1", None, 100)}
    assert base not in others and len(others) == 4
    url = signer.url("https://videos.example/", "job_1", "alice", 100)
    signature = signer.signature("job_1", "alice", 100)
    assert url == f"https://videos.example/downloads/job_1.mp4?expires=100&signature={signature}"
    link = parse_link("job_1.mp4", url.partition("?")[2])
    assert link is not None and signer.valid(link, "alice", now=99.9)
    assert not signer.valid(link, "alice", now=100) and not signer.valid(link, "bob", now=50)
    with pytest.raises(ValueError, match="16 bytes"):
        Signer(b"short")


@pytest.mark.parametrize("tail,query", [
    ("job_1.mp4", "expires=100&signature=" + "A" * 42),
    ("job_1.mp4", "signature=" + "A" * 43 + "&expires=100"),
    ("job_1.mp4", "expires=0100&signature=" + "A" * 43),
    ("job_1.mp4", "expires=100&signature=" + "A" * 43 + "&x=1"),
    ("job_1.MP4", "expires=100&signature=" + "A" * 43),
    ("job/1.mp4", "expires=100&signature=" + "A" * 43),
    ("../job_1.mp4", "expires=100&signature=" + "A" * 43),
    ("job_1.mp4", "expires=100&signature=" + "A" * 42 + "="),
])
def test_only_the_exact_form_parses(tail: str, query: str) -> None:
    assert parse_link(tail, query) is None


def test_the_secret_is_made_once_in_home_unless_set(tmp_path: Path) -> None:
    one = _settings(tmp_path / "one")
    one.home.mkdir()
    first = load_secret(one)
    assert load_secret(one) == first and len(first) >= 32
    assert one.url_secret_path.stat().st_mode & 0o777 == 0o600
    other = _settings(tmp_path / "other")
    other.home.mkdir()
    assert load_secret(other) != first
    shared = _settings(tmp_path / "other", TALKING_VIDEO_URL_SECRET="replicas-share-this-one")
    assert load_secret(shared) == b"replicas-share-this-one"
    assert "replicas-share-this-one" in shared.secrets()


def test_storage_settings_are_checked() -> None:
    settings = Settings(TALKING_VIDEO_STORAGE_URL="s3://my-videos/team/a/ ")  # type: ignore[call-arg]
    assert settings.storage_url == "s3://my-videos/team/a"
    assert S3Location.parse(settings.storage_url).key("job_1") == "team/a/job_1.mp4"
    assert S3Location.parse("s3://my-videos").key("job_1") == "job_1.mp4"
    for bad in ("http://my-videos/x", "s3://", "s3://UPPER/x", "/local/dir"):
        with pytest.raises(ValidationError):
            Settings(TALKING_VIDEO_STORAGE_URL=bad)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(TALKING_VIDEO_PUBLIC_URL="videos.example.com")  # type: ignore[call-arg]
    assert Settings(TALKING_VIDEO_AWS_X="1", AWS_SECRET_ACCESS_KEY="s3cr3t-value").secrets() == ["s3cr3t-value"]  # type: ignore[call-arg]


def test_links_without_a_request_or_public_url_are_none(tmp_path: Path) -> None:
    downloads = Downloads(_settings(tmp_path), clock=lambda: 1000.0)
    assert downloads.url("job_1", None, base=None, stored_key=None) is None
    url = downloads.url("job_1", None, base="http://127.0.0.1:9/", stored_key="ignored-without-storage")
    assert url is not None and url.startswith("http://127.0.0.1:9/downloads/job_1.mp4?expires=87400&")
    public = Downloads(_settings(tmp_path, TALKING_VIDEO_PUBLIC_URL="https://videos.example/"), clock=lambda: 0.0)
    assert str(public.url("job_1", None, base="http://127.0.0.1:9", stored_key=None)).startswith(
        "https://videos.example/downloads/job_1.mp4?")


def test_boto3_loads_only_when_a_video_is_stored_or_signed(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from talking_video_mcp.settings import Settings; "
        "from talking_video_mcp.downloads import Downloads; import talking_video_mcp.runtime; "
        f"d = Downloads(Settings(TALKING_VIDEO_HOME=Path({str(tmp_path)!r}), "
        "TALKING_VIDEO_STORAGE_URL='s3://bucket/p', AWS_ENDPOINT_URL='http://127.0.0.1:9', AWS_ACCESS_KEY_ID='a', "
        "AWS_SECRET_ACCESS_KEY='b')); "
        "print('boto3' in sys.modules, 'botocore' in sys.modules); "
        "url = d.url('job_1', None, base=None, stored_key='p/job_1.mp4'); "
        "print('boto3' in sys.modules, url.startswith('http://127.0.0.1:9/bucket/p/job_1.mp4?'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "True", "True"], done.stdout + done.stderr
