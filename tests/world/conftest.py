"""Fixtures of the world fidelity suite: the URLs of a running world
(started by run.sh, path in VSTRESS_WORLD_URLS) and its control API."""
import json
import os

import httpx
import pytest


def _urls():
    path = os.environ.get("VSTRESS_WORLD_URLS")
    if not path:
        pytest.exit("VSTRESS_WORLD_URLS is not set: run tests/world/run.sh", returncode=2)
    with open(path) as fp:
        return json.load(fp)


URLS = _urls()
# The world made its own control token (no VSTRESS_WORLD_TOKEN given) and
# wrote it into the URLs file; every /_vstress request carries it.
AUTH = {"Authorization": "Bearer " + URLS.get("token", "")}


class Control:
    def __init__(self, base):
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30, headers=AUTH)

    def get(self, path, **params):
        # params only when given: httpx replaces a query already in the path
        # with params={} (the events' ?topic= was dropped)
        r = self.http.get(path, params=params) if params else self.http.get(path)
        r.raise_for_status()
        return r.json()

    def fault(self, **f):
        r = self.http.post("/_vstress/faults", json=f)
        assert r.status_code == 201, r.text
        return r.json()["ids"][0]

    def clear_faults(self):
        self.http.delete("/_vstress/faults").raise_for_status()

    def stats(self, standin):
        return self.get("/_vstress/stats").get(standin, {})

    def count(self, standin, name="requests"):
        return self.stats(standin).get(name, 0)


@pytest.fixture(scope="session")
def urls():
    return URLS


@pytest.fixture(scope="session")
def control_session():
    return Control(URLS["control"])


@pytest.fixture
def control(control_session):
    control_session.clear_faults()
    yield control_session
    control_session.clear_faults()


def standin(name, scheme="http"):
    s = URLS["standins"].get(name)
    if not s:
        pytest.skip(f"stand-in {name} is not served")
    return s[scheme]
