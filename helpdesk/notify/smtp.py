"""SMTP with TLS both ways: the connection to the outgoing relay, the gateway's certificate.

Outgoing, `SMTP_SECURITY` says how the relay is reached: `none` (plain, a local MTA),
`starttls` (submission, usually port 587: the upgrade is required, never skipped) or
`tls` (TLS from the first byte, usually port 465). The relay's certificate is checked
against the system's CAs or `SMTP_CA_FILE`, host name included. `SMTP_USERNAME` and
`SMTP_PASSWORD` log in after the upgrade; they are never sent over a plain connection.

Incoming, the gateway offers STARTTLS when `MAIL_TLS_CERT` and `MAIL_TLS_KEY` are set,
and with `MAIL_REQUIRE_TLS` refuses mail from a sender that did not upgrade.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping

SECURITY = ("none", "starttls", "tls")


class SettingsError(ValueError):
    """The SMTP settings contradict each other or name a file that cannot be used."""


def check_outgoing(config: Mapping) -> None:
    """Raise SettingsError unless the outgoing settings make sense together."""
    security = config.get("SMTP_SECURITY", "none")
    if security not in SECURITY:
        raise SettingsError(
            f"SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}."
        )
    if bool(config.get("SMTP_USERNAME")) != bool(config.get("SMTP_PASSWORD")):
        raise SettingsError("Set both SMTP_USERNAME and SMTP_PASSWORD, or neither.")
    if config.get("SMTP_USERNAME") and security == "none":
        raise SettingsError(
            "SMTP_USERNAME is set but SMTP_SECURITY is none: the password would cross the "
            "network in clear. Use starttls or tls."
        )


def _client_context(config: Mapping) -> ssl.SSLContext:
    # Host name and chain checked, as a browser would; a private CA can be named.
    return ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)


def connect(config: Mapping) -> smtplib.SMTP:
    """An SMTP session with the relay, upgraded and logged in as the settings say."""
    check_outgoing(config)
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    security = config.get("SMTP_SECURITY", "none")
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_client_context(config))
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if security == "starttls":
            # Raises SMTPNotSupportedError if the relay does not offer it: never plain instead.
            smtp.starttls(context=_client_context(config))
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def server_context(config: Mapping) -> ssl.SSLContext | None:
    """The gateway's TLS context from MAIL_TLS_CERT and MAIL_TLS_KEY, or None without them."""
    cert, key = config.get("MAIL_TLS_CERT"), config.get("MAIL_TLS_KEY")
    if not cert and not key:
        if config.get("MAIL_REQUIRE_TLS"):
            raise SettingsError("MAIL_REQUIRE_TLS needs MAIL_TLS_CERT and MAIL_TLS_KEY.")
        return None
    if not (cert and key):
        raise SettingsError("Set both MAIL_TLS_CERT and MAIL_TLS_KEY, or neither.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(
            f"Cannot load MAIL_TLS_CERT {cert} with MAIL_TLS_KEY {key}: {exc}"
        ) from exc
    return context
