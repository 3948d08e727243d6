"""Measuring the product, apart from it: the evaluation on QA data (`assistant eval`) and the
benchmarks (`assistant bench`). Nothing in the product imports this package."""
