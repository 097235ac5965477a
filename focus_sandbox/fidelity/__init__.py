"""Fidelity of the ``observed`` profile to the deployed product: the golden corpus of recorded
exchanges (``recorded_exchanges.yaml``) and its replay against a running sandbox (``replay``)."""
