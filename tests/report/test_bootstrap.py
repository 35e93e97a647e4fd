"""The cluster bootstrap by technique against the trial bootstrap."""

import numpy as np

from lab.report.bootstrap import cluster_bootstrap_ci, trial_bootstrap_ci


def test_the_cluster_interval_is_wider_where_techniques_differ():
    rng = np.random.default_rng(7)
    # 8 techniques, each its own level (a technique effect of +-60 s), 12 trials of noise +-5 s
    levels = rng.normal(0, 60, size=8)
    values = np.concatenate([level + rng.normal(0, 5, size=12) for level in levels])
    clusters = np.repeat([f"technique-{i}" for i in range(8)], 12)
    cluster_low, cluster_high = cluster_bootstrap_ci(values, clusters, np.mean)
    trial_low, trial_high = trial_bootstrap_ci(values, np.mean)
    assert cluster_high - cluster_low > 2 * (trial_high - trial_low)
    assert cluster_low < values.mean() < cluster_high


def test_without_a_technique_effect_the_two_intervals_agree():
    rng = np.random.default_rng(8)
    values = rng.normal(0, 5, size=96)
    clusters = np.repeat(np.arange(8), 12)
    cluster_low, cluster_high = cluster_bootstrap_ci(values, clusters, np.mean)
    trial_low, trial_high = trial_bootstrap_ci(values, np.mean)
    ratio = (cluster_high - cluster_low) / (trial_high - trial_low)
    assert 0.5 < ratio < 2.0


def test_one_cluster_falls_back_to_the_trials_and_nothing_is_nan():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    assert cluster_bootstrap_ci(values, np.zeros(4)) == trial_bootstrap_ci(values)
    assert all(np.isnan(cluster_bootstrap_ci(np.array([]), np.array([]))))
