from datetime import date

from accounts.risk.backtest import band_change_rate, month_ends, precision_at_k, roc_auc


def test_auc_is_one_for_a_perfect_ranking_and_half_for_ties():
    assert roc_auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert roc_auc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]) == 0.5
    assert roc_auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0


def test_auc_matches_pairwise_count():
    scores, labels = [0.3, 0.7, 0.5, 0.9, 0.1], [0, 1, 0, 1, 1]
    pairs = [
        (p, n)
        for p, yp in zip(scores, labels, strict=True)
        if yp
        for n, yn in zip(scores, labels, strict=True)
        if not yn
    ]
    expected = sum(1 if p > n else 0.5 if p == n else 0 for p, n in pairs) / len(pairs)
    assert roc_auc(scores, labels) == expected


def test_auc_is_undefined_without_both_classes():
    assert roc_auc([0.1, 0.2], [0, 0]) is None


def test_precision_in_the_top_k():
    assert precision_at_k([([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0], 2)]) == 0.5
    assert precision_at_k([([0.9], [1], 0)]) is None


def test_precision_in_the_top_k_is_pooled_over_the_groups():
    # 1 of 1 and 1 of 2: 2 of 3 picked, not the mean of the two precisions.
    assert precision_at_k([([0.9, 0.1], [1, 0], 1), ([0.8, 0.7, 0.2], [0, 1, 1], 2), ([0.5], [1], 0)]) == 2 / 3


def test_month_ends_cover_the_period():
    assert month_ends(date(2025, 1, 10), date(2025, 4, 30)) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_band_change_rate_counts_accounts_that_moved():
    weeks = [{1: "green", 2: "amber"}, {1: "green", 2: "red"}, {1: "amber", 2: "red"}]
    assert band_change_rate(weeks) == 0.5
