"""``lab replay``: real CloudTrail records through a deployed architecture's detection pipeline
(``run``); an application on the experiment and the core, as ``lab load`` and ``lab live`` are."""
