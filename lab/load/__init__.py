"""Load on the account: locust users that call AWS through boto3 (``locustfile.py``), ``lab load``
(``runner.py``), and a synthetic CloudTrail stream that drives the simulation at account scale
(``synthetic.py``, mix in ``event_mix.yaml``)."""
