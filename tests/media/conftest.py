import pytest

from tests.media.clips import make_clip


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """A 3 s 320x240 clip with sound (→ 144p and 240p rungs, audio-only, download, poster)."""
    return make_clip(tmp_path_factory.mktemp("clips") / "lesson.mp4")
