"""``lab load``: locust users that call AWS through boto3 (``locustfile.py``), run headless
(``runner.py``) as a run of the results folder (``run.py``). The synthetic CloudTrail stream that
drives the simulation at account scale is the simulation's (``lab.sim.synthetic``)."""
