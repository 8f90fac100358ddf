"""Per-category tests of the warning-sign taxonomy (components/risk_patterns.yml)."""
