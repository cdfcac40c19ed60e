"""transfer_call / end_call: the tool round kept for the OpenAI provider."""

from agent.providers import CALL_TOOLS, split_system


def test_tools_declared():
    assert {t["function"]["name"] for t in CALL_TOOLS} == {"transfer_call", "end_call"}


def test_split_system_keeps_tool_round():
    msgs = [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "can I talk to a human"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "transfer_call", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    system, convo = split_system(msgs, "default")
    assert system == "be nice"
    assert [m["role"] for m in convo] == ["user", "assistant", "tool"]
    assert convo[1]["tool_calls"][0]["function"]["name"] == "transfer_call"
