"""The README points to every document, and the deployment guide names every proxy setting."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_lists_every_document():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^- `(docs/[\w-]+\.md)`", readme, flags=re.MULTILINE))
    documents = {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
    assert documents - listed == set()


def test_the_proxy_settings_are_documented_together():
    for name in ("README.md", "docs/deployment.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "BEHIND_PROXY" in text and "PROXY_COUNT" in text, name
