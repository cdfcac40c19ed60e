"""The world's control API: faults table, stats, events."""
import httpx

from conftest import AUTH


def test_health_and_urls(control, urls):
    assert control.get("/_vstress/health")["ok"] is True
    got = control.get("/_vstress/urls")
    assert got["standins"] == urls["standins"]
    assert "OPENAI_BASE_URL" in got["env"]


def test_fault_table_roundtrip(control):
    fid = control.fault(target="openai", kind="latency", dist="uniform", min_ms=10, max_ms=20, window_ms=60000)
    table = control.get("/_vstress/faults")["data"]
    f = [x for x in table if x["id"] == fid][0]
    assert f["kind"] == "latency" and f["dist"] == "uniform" and f["active"] and f["remaining_ms"] > 0
    r = httpx.delete(f"{control.base}/_vstress/faults/{fid}", headers=AUTH)
    assert r.status_code == 200
    assert not [x for x in control.get("/_vstress/faults")["data"] if x["id"] == fid]


def test_fault_validation(control):
    r = httpx.post(control.base + "/_vstress/faults", json={"target": "nosuch", "kind": "error"}, headers=AUTH)
    assert r.status_code == 400
    r = httpx.post(control.base + "/_vstress/faults", json={"target": "openai", "kind": "explode"}, headers=AUTH)
    assert r.status_code == 400
    r = httpx.post(control.base + "/_vstress/faults", json={"target": "openai", "kind": "error", "rate": 2}, headers=AUTH)
    assert r.status_code == 400


def test_window_expires(control):
    import time
    control.fault(target="openai", kind="error", status=500, window_ms=200)
    time.sleep(0.3)
    f = control.get("/_vstress/faults")["data"][0]
    assert f["active"] is False


def test_control_needs_the_token(control, urls):
    """No token or a wrong one: 401 on every control route, and a fault
    posted that way is not installed (issue 12)."""
    fault = {"target": "openai", "kind": "error", "status": 500}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": AUTH["Authorization"] + "x"}):
        r = httpx.post(control.base + "/_vstress/faults", json=fault, headers=headers)
        assert r.status_code == 401, r.text
        assert r.headers.get("www-authenticate") == "Bearer"
        assert httpx.get(control.base + "/_vstress/urls", headers=headers).status_code == 401
    assert control.get("/_vstress/faults")["data"] == []
    # control routes a stand-in adds are behind it too, on the stand-in's own port
    tel = urls["standins"].get("telnyx")
    if tel:
        assert httpx.get(tel["http"] + "/_vstress/telnyx/commands?call_control_id=x").status_code == 401
