from assistant.lab.bench import _median, models_table


def test_the_models_table_has_a_cell_for_every_column():
    row = {
        "model": "large",
        "file": "qwen.gguf",
        "ready_s": 2.1,
        "cold_start_s": 18.3,
        "peak_rss_mb": 2434.0,
        "first_ttft_s": 7.9,
        "first_total_s": 9.6,
        "warm_ttft_s": 7.1,
        "warm_total_s": 8.2,
        "follow_up_rewrite_s": 3.0,
        "follow_up_total_s": 11.0,
        "answer": "En Pologne [1].",
        "refused": False,
    }
    lines = models_table([row, {"model": "small", "skipped": "not installed"}]).splitlines()
    header, rule, full, skipped = lines[-4:]
    assert header.count("|") == rule.count("|") == full.count("|") == skipped.count("|")
    assert "| 3.00 / 11.00 |" in full and "En Pologne [1]." in full


def test_rounds_give_the_median_times_and_the_highest_memory():
    runs = [{"ready_s": r, "cold_start_s": c, "peak_rss_mb": m, "answer": "x"} for r, c, m in [(2.0, 9.0, 1700.0), (1.0, 5.0, 1800.0), (3.0, 6.0, 1750.0)]]
    merged = _median(runs)
    assert (merged["ready_s"], merged["cold_start_s"], merged["peak_rss_mb"], merged["rounds"]) == (2.0, 6.0, 1800.0, 3)
    assert _median([*runs, {"error": "killed"}]) == {"error": "killed"}, "a failed run is shown, not hidden by the others"
