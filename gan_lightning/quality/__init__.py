"""The judge: the feature classifier (with its shipped weights), sample-quality metrics, PRDC, diagnostics and
their pictures."""
