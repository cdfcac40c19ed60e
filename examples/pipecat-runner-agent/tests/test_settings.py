"""Settings come from the environment, under the names vstress's world exports."""

from runner_agent.settings import Settings, load_settings

WORLD_ENV = {  # as `vstress world` exports them (plugins/*/standin.c)
    "OPENAI_BASE_URL": "http://127.0.0.1:41701/v1",
    "OPENAI_API_KEY": "sk-vstress-dummy",
    "DEEPGRAM_BASE_URL": "ws://127.0.0.1:39075",
    "DEEPGRAM_API_KEY": "vstress-dummy",
    "TELNYX_API_BASE": "http://127.0.0.1:40935/v2",
    "TELNYX_API_KEY": "KEYvstressdummy",
    "CARTESIA_BASE_URL": "ws://127.0.0.1:33807/tts/websocket",
    "CARTESIA_API_KEY": "vstress-dummy",
}


def test_world_env_is_read():
    s = load_settings(WORLD_ENV)
    assert s.openai_base_url == "http://127.0.0.1:41701/v1"
    assert s.deepgram_base_url == "ws://127.0.0.1:39075"
    assert s.cartesia_base_url == "ws://127.0.0.1:33807/tts/websocket"
    assert s.telnyx_api_base == "http://127.0.0.1:40935/v2"
    assert (s.openai_api_key, s.deepgram_api_key, s.cartesia_api_key, s.telnyx_api_key) == (
        "sk-vstress-dummy", "vstress-dummy", "vstress-dummy", "KEYvstressdummy")
    assert s.missing_keys() == []


def test_defaults_are_the_real_providers():
    s = load_settings({})
    d = Settings()
    assert s == d
    assert s.openai_base_url == "https://api.openai.com/v1"
    assert s.deepgram_base_url == "wss://api.deepgram.com"
    assert s.telnyx_api_base == "https://api.telnyx.com/v2"


def test_empty_counts_as_unset_and_trailing_slash_is_dropped():
    s = load_settings({"OPENAI_BASE_URL": "", "DEEPGRAM_BASE_URL": "ws://h:1/",
                       "TELNYX_API_BASE": "http://h:2/v2/", "OPENAI_MODEL": "gpt-x"})
    assert s.openai_base_url == Settings().openai_base_url
    assert s.deepgram_base_url == "ws://h:1"
    assert s.telnyx_api_base == "http://h:2/v2"
    assert s.openai_model == "gpt-x"


def test_missing_keys_are_named_and_telnyx_is_optional():
    s = load_settings({"OPENAI_API_KEY": "k"})
    assert s.missing_keys() == ["DEEPGRAM_API_KEY", "CARTESIA_API_KEY"]


def test_smart_turn_is_on_by_default_and_switchable():
    assert load_settings({}).smart_turn is True
    assert load_settings({"SMART_TURN_ENABLED": "false"}).smart_turn is False
    assert load_settings({"SMART_TURN_ENABLED": "1"}).smart_turn is True


def test_a_bad_boolean_names_the_variable():
    import pytest

    with pytest.raises(ValueError, match="SMART_TURN_ENABLED='maybe'"):
        load_settings({"SMART_TURN_ENABLED": "maybe"})
