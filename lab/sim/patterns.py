"""The two pattern languages of the pipeline, in one place to check them against AWS's examples.

- ``log_pattern_matches``: CloudWatch Logs filter patterns (metric filters, subscription filters,
  FilterLogEvents), implemented in ``lab.engines.log_patterns``.
- ``event_pattern_matches``: EventBridge event patterns, moto's matcher with arrays of objects
  flattened as AWS does (the simulated default bus), checked against AWS's examples in the tests.
"""

from lab.engines.log_patterns import extract_fields, log_pattern_matches, metric_value
from lab.sim.event_patterns import event_pattern_matches

__all__ = ["event_pattern_matches", "extract_fields", "log_pattern_matches", "metric_value"]
