"""Demo mode and the deterministic fake sites it serves (shared with the test suite)."""
