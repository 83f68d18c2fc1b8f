"""citewise evaluation: gold Q&A, dataset converters and the runner (python -m eval)."""
