from assistant.lab.bench import models_table


def test_the_models_table_has_a_cell_for_every_column():
    row = {
        "model": "large",
        "file": "qwen.gguf",
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
