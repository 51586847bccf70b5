"""The bounded load test run by bin/load-test: twenty account managers browsing and writing over
HTTP (locustfile.py) while the nightly job runs on a real worker, then the writes counted in the
database and the figures reported (driver.py). Development tooling: locust is in
requirements-dev.txt, and nothing of the app imports this package.
"""
