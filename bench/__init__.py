"""`make bench`: the numbers behind docs/benchmarks.md, each measured side by side with its
baseline in the same run (`python -m bench`)."""
