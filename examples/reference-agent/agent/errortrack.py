"""Error reporting to Sentry (sentry-sdk), when SENTRY_DSN is set.

``init()`` is the one place the SDK is set up (called by ``create_app``);
``report()`` sends one event tagged with its component, error class and the
call's id, so an incident can be found from a call and a call from an
incident.  Without a DSN (or with the ``no_sentry`` fault) both do nothing.
"""

from __future__ import annotations

import logging

from .settings import Settings

log = logging.getLogger("agent.errortrack")

_enabled = False


def init(settings: Settings) -> bool:
    """Set up the SDK from the settings; True when events will be sent."""
    global _enabled
    _enabled = False
    if not settings.sentry_dsn or settings.has_fault("no_sentry"):
        return False
    import sentry_sdk

    try:
        sentry_sdk.init(
            dsn=settings.sentry_dsn,
            environment=settings.sentry_environment,
            release=settings.sentry_release or None,
            send_default_pii=False,  # callers' numbers stay out of the events
            traces_sample_rate=0.0,
        )
    except Exception as e:  # a malformed DSN must not stop the agent
        log.error("Sentry disabled: %s", e)
        return False
    _enabled = True
    log.info("reporting errors to Sentry (environment %s)", settings.sentry_environment)
    return True


def enabled() -> bool:
    return _enabled


def report(component: str, error_class: str, message: str, *, call_id: str | None = None,
           tenant_id=None, level: str = "error", extra: dict | None = None) -> None:
    """One event; never raises (reporting an error must not add one)."""
    if not _enabled:
        return
    import sentry_sdk

    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_level(level)
            scope.set_tag("component", component)
            scope.set_tag("error_class", error_class)
            if call_id:
                scope.set_tag("call_id", call_id)
            if tenant_id is not None:
                scope.set_tag("tenant_id", str(tenant_id))
            for k, v in (extra or {}).items():
                scope.set_extra(k, v)
            scope.fingerprint = [component, error_class]
            sentry_sdk.capture_message(message, level=level)
    except Exception as e:
        log.warning("Sentry report failed: %s", e)


def flush(timeout: float = 2.0) -> None:
    if _enabled:
        import sentry_sdk

        sentry_sdk.flush(timeout=timeout)
