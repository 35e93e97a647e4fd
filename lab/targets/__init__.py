"""Where a run goes: the embedded emulated account (default) or a real AWS account behind
guardrails (``guardrails.py``: the user's allow-list, confirmation), and the cleanup of anything a
crashed run left (``cleanup.py``)."""
