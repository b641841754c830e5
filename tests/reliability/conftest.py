"""The running app for the HTTP fuzzers (one per module: hypothesis runs many examples)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.db_support import SqliteTemplate
from tests.reliability.fuzz_app import FuzzApp


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzApp]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "workflows").mkdir()
    app = FuzzApp(SqliteTemplate(root).fresh_url(), root / "workflows").start()
    yield app
    app.stop()
