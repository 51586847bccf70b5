"""Commands of the plays app (bench_plays)."""
