import asyncio
import time

import asyncpg

from conftest import event, make_settings, pubkey_b64, sign

KNOWN = "+15550001111"
FALLBACK = "+15550009999"


async def _agent(db_url, recorder, signing_key, agent_factory, **kw):
    s = make_settings(db_url, telnyx_api_base=recorder.base, telnyx_public_key=pubkey_b64(signing_key),
                      seed_phone_numbers=f"{KNOWN}={FALLBACK}", **kw)
    return await agent_factory(s)


def initiated(cid, to, frm="+15557654321"):
    return {"call_control_id": cid, "call_session_id": "sess-" + cid, "from": frm, "to": to,
            "direction": "incoming", "state": "parked"}


async def test_signature_good_forged_stale_missing(db_url, recorder, signing_key, agent_factory):
    from nacl.signing import SigningKey

    a = await _agent(db_url, recorder, signing_key, agent_factory)
    body = event("call.answered", {"call_control_id": "v3:x1"})
    r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    assert r.status_code == 200, r.text
    # forged: signed with another key
    body2 = event("call.answered", {"call_control_id": "v3:x2"})
    r = await a.http.post("/api/telnyx/webhook", content=body2, headers=sign(SigningKey.generate(), body2))
    assert r.status_code == 403
    # tampered body with a valid signature of another body
    r = await a.http.post("/api/telnyx/webhook", content=body2 + b" ", headers=sign(signing_key, body2))
    assert r.status_code == 403
    # stale, both directions
    for ts in (int(time.time()) - 301, int(time.time()) + 301):
        r = await a.http.post("/api/telnyx/webhook", content=body2, headers=sign(signing_key, body2, ts))
        assert r.status_code == 403, ts
    # just inside tolerance
    r = await a.http.post("/api/telnyx/webhook", content=body2, headers=sign(signing_key, body2, int(time.time()) - 290))
    assert r.status_code == 200
    # missing headers
    r = await a.http.post("/api/telnyx/webhook", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 401
    assert recorder.commands == []  # no call.initiated -> no Call Control


async def test_known_number_answers_with_stream(db_url, recorder, signing_key, agent_factory):
    a = await _agent(db_url, recorder, signing_key, agent_factory)
    cid = "v3:known-call-1"
    body = event("call.initiated", initiated(cid, KNOWN))
    t0 = time.monotonic()
    r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    assert time.monotonic() - t0 < 2.0
    assert r.status_code == 200
    j = r.json()
    assert j["action"] == "answer"
    assert j["stream_url"] == f"{a.settings.public_ws_url}/media/{cid}"
    await recorder.wait_for(1)
    assert recorder.actions() == ["answer"]
    c, action, body_sent, headers = recorder.commands[0]
    assert c == cid
    assert headers["Authorization"] == "Bearer KEY_test"
    assert body_sent["stream_url"] == j["stream_url"]
    assert body_sent["stream_track"] == "inbound_track"
    assert body_sent["stream_bidirectional_mode"] == "rtp"
    assert body_sent["stream_bidirectional_codec"] == "PCMU"
    assert body_sent["command_id"]
    # hang-up finalises call_logs
    body = event("call.hangup", {"call_control_id": cid, "hangup_cause": "normal_clearing", "hangup_source": "caller"})
    assert (await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))).status_code == 200
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow("SELECT * FROM call_logs WHERE call_control_id = $1", cid)
        assert row["tenant_id"] is not None and row["to_number"] == KNOWN
        assert row["status"] == "completed" and row["hangup_cause"] == "normal_clearing"
        assert row["ended_at"] is not None and row["duration_ms"] is not None
        assert await conn.fetchval("SELECT count(*) FROM call_control_commands WHERE action='answer'") == 1
    finally:
        await conn.close()


async def test_unknown_number_answer_speak_hangup(db_url, recorder, signing_key, agent_factory):
    a = await _agent(db_url, recorder, signing_key, agent_factory)
    cid = "v3:unknown-call-1"
    body = event("call.initiated", initiated(cid, "+19999999999"))
    r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    assert r.status_code == 200 and r.json()["action"] == "answer_speak_hangup"
    await recorder.wait_for(3)
    assert recorder.actions(cid) == ["answer", "speak", "hangup"]
    answer_body = recorder.commands[0][2]
    assert "stream_url" not in answer_body
    speak = recorder.commands[1][2]
    assert speak["payload"] == "This number is not configured."
    assert speak["voice"]


async def test_replayed_event_is_not_acted_on_twice(db_url, recorder, signing_key, agent_factory):
    a = await _agent(db_url, recorder, signing_key, agent_factory)
    cid = "v3:replay-1"
    body = event("call.initiated", initiated(cid, KNOWN), event_id="evt-fixed-1")
    r1 = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    r2 = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    assert r1.json()["status"] == "accepted"
    assert r2.status_code == 200 and r2.json()["status"] == "duplicate"
    await recorder.wait_for(1)
    await asyncio.sleep(0.3)
    assert recorder.actions(cid) == ["answer"]
    # also de-duplicated across a restart (database, not only memory)
    a.rt.seen_events.clear()
    r3 = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    assert r3.json()["status"] == "duplicate"


async def test_fault_no_signature_check_accepts_forgery(db_url, recorder, signing_key, agent_factory):
    s = make_settings(db_url, telnyx_api_base=recorder.base, telnyx_public_key=pubkey_b64(signing_key),
                      faults=frozenset({"no_signature_check"}))
    a = await agent_factory(s)
    body = event("call.answered", {"call_control_id": "v3:f"})
    r = await a.http.post("/api/telnyx/webhook", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200


async def test_fault_no_dedupe_acts_twice(db_url, recorder, signing_key, agent_factory):
    a = await _agent(db_url, recorder, signing_key, agent_factory, faults=frozenset({"no_dedupe"}))
    cid = "v3:nodedupe"
    body = event("call.initiated", initiated(cid, KNOWN), event_id="evt-dup")
    for _ in range(2):
        r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
        assert r.json()["status"] == "accepted"
    await recorder.wait_for(2)
    assert recorder.actions(cid) == ["answer", "answer"]


async def test_admin_creates_tenant_and_routes_its_number(db_url, recorder, signing_key, agent_factory):
    a = await _agent(db_url, recorder, signing_key, agent_factory)
    tok = await a.login()
    r = await a.http.post("/api/admin/tenants", headers={"Authorization": f"Bearer {tok}"},
                          json={"name": "acme", "fallback_number": "+15550000001",
                                "phone_numbers": ["+15552220000", {"number": "+15552220001", "fallback_number": "+1555"}]})
    assert r.status_code == 201
    tenants = (await a.http.get("/api/admin/tenants", headers={"Authorization": f"Bearer {tok}"})).json()["tenants"]
    acme = [t for t in tenants if t["name"] == "acme"][0]
    assert {p["number"] for p in acme["phone_numbers"]} == {"+15552220000", "+15552220001"}
    body = event("call.initiated", initiated("v3:acme", "+15552220000"))
    r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
    assert r.json()["action"] == "answer" and r.json()["tenant_id"] == acme["id"]
