"""Per-socket limits read their rules from the settings."""

from helpdesk.realtime.limits import SocketLimits, parse_rule, rule_for


def test_a_rule_reads_flask_limiter_notation():
    assert parse_rule("20 per 10 seconds") == (20.0, 10.0)
    assert parse_rule("30/minute") == (30.0, 60.0)


def test_an_empty_setting_or_limits_switched_off_mean_no_limit():
    assert rule_for({"RATELIMIT_CHAT_LINES": ""}, "send_message") is None
    off = {"RATELIMIT_ENABLED": False, "RATELIMIT_CHAT_LINES": "1/minute"}
    assert rule_for(off, "send_message") is None


def test_a_socket_waits_once_its_bucket_is_empty():
    limits = SocketLimits()
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_CHAT_TYPING": "2/minute"}
    assert [limits.check("s1", "typing", config) == 0 for _ in range(3)] == [True, True, False]
    assert limits.check("s2", "typing", config) == 0  # another socket, its own bucket
    limits.forget("s1")
    assert limits.check("s1", "typing", config) == 0
