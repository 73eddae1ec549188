"""The documents keep up with the code: every test docs/claims.md names exists; README's hash is the shipped one."""

import re

from gan_lightning.config import PROJECT_ROOT

CLAIMS = PROJECT_ROOT / "docs" / "claims.md"


def test_every_test_the_claims_table_names_exists():
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", CLAIMS.read_text())
    assert len(named) > 100
    missing = [
        f"{path}::{name}"
        for path, name in sorted(set(named))
        if not re.search(rf"^def {name}\(", (PROJECT_ROOT / path).read_text(), re.MULTILINE)
    ]
    assert not missing, missing
