"""The documents keep up with the code: every test docs/claims.md names exists; README's hash is the shipped one."""

import re

from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.quality.classifier import SHIPPED_SHA256

CLAIMS = PROJECT_ROOT / "docs" / "claims.md"
README = PROJECT_ROOT / "README.md"


def test_every_test_the_claims_table_names_exists():
    named = re.findall(r"`(tests/(?:\w+/)?test_\w+\.py)::(test_\w+)`", CLAIMS.read_text())
    assert len(named) > 100
    missing = [
        f"{path}::{name}"
        for path, name in sorted(set(named))
        if not re.search(rf"^def {name}\(", (PROJECT_ROOT / path).read_text(), re.MULTILINE)
    ]
    assert not missing, missing


def test_readme_names_the_shipped_classifiers_hash():
    """README's FID/KID/IS numbers come from the shipped classifier, so a newcomer can reproduce them; the
    second judge's numbers are named by its file (mnist_classifier-<hash>.pt), never by a bare hash."""
    text = README.read_text()
    judges = set(re.findall(r"mnist_classifier-([0-9a-f]{12})\.pt", text))
    bare = set(re.findall(r"(?<![0-9a-f-])[0-9a-f]{12}(?![0-9a-f])", text))
    assert bare == {SHIPPED_SHA256[:12]} and SHIPPED_SHA256[:12] not in judges
