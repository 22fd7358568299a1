"""Configuration classes read from the environment; tests use TestConfig."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("HELPDESK_INSTANCE", BASE_DIR / "instance"))


def installation_secret(instance_dir: Path = INSTANCE_DIR) -> str:
    """Return SECRET_KEY from the environment, else one generated once and kept in instance/.

    The key file is written under a temporary name and linked into place, so a process
    starting at the same moment never reads a half-written key: one key per installation.
    An empty or unreadable key file stops the app (SystemExit with the reason) rather than
    run with a weak key or silently replace the one that signed the existing sessions.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        temporary = instance_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            temporary.unlink()
    try:
        key = path.read_text().strip()
    except OSError as exc:
        raise SystemExit(
            f"helpdesk: cannot read the secret key file {path}: {exc.strerror}. "
            "Fix its permissions or set SECRET_KEY."
        ) from exc
    if len(key) < 32:
        raise SystemExit(
            f"helpdesk: the secret key file {path} is empty or too short. Set SECRET_KEY, or "
            "delete the file to generate a new key (everyone will have to sign in again)."
        )
    return key


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'helpdesk.sqlite'}"
    # Accept the libpq-style scheme operators usually have and pick psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Production-like defaults; every setting can come from the environment."""

    SECRET_KEY = None  # resolved in create_app so importing config has no side effects
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # Processes on one queue talk on this channel; another deployment on the same Redis uses
    # another name (pub/sub channels are shared across Redis database numbers).
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL") or "flask-socketio"
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    # Chat lines that arrive together are stored in one transaction (realtime/linewriter.py).
    CHAT_GROUP_COMMIT = os.environ.get("CHAT_GROUP_COMMIT", "1") == "1"
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "helpdesk@localhost")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "30"))
    # How the relay is reached: none, starttls (port 587) or tls (port 465); see notify/smtp.py.
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "none")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE") or None  # unset: the system's CAs
    # The inbound gateway offers STARTTLS with this certificate chain and key.
    MAIL_TLS_CERT = os.environ.get("MAIL_TLS_CERT") or None
    MAIL_TLS_KEY = os.environ.get("MAIL_TLS_KEY") or None
    MAIL_REQUIRE_TLS = os.environ.get("MAIL_REQUIRE_TLS", "") == "1"
    # Where people reach this app: links in e-mail (built by the scheduler, not a request).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # A password link works this long, and once.
    PASSWORD_LINK_MINUTES = int(os.environ.get("PASSWORD_LINK_MINUTES", "60"))
    # How long the link that confirms a portal registration's e-mail address works (once).
    CONFIRM_LINK_HOURS = int(os.environ.get("CONFIRM_LINK_HOURS", "48"))
    # How long the link in an invitation (an account made in the console) sets a password.
    INVITE_LINK_HOURS = int(os.environ.get("INVITE_LINK_HOURS", "72"))
    # Clients, SLA targets, calendars and sites are cached per process; another process's
    # change to them is seen within this many seconds (0: at every use; negative: no cache).
    WORLD_CACHE_SECONDS = float(os.environ.get("WORLD_CACHE_SECONDS", "1"))
    # A queued mail still unsent after this many hours is marked failed (and logged).
    MAIL_GIVE_UP_HOURS = float(os.environ.get("MAIL_GIVE_UP_HOURS", "48"))
    # Inbound: larger mail is refused at the SMTP DATA stage with 552.
    MAIL_MAX_BYTES = int(os.environ.get("MAIL_MAX_BYTES", 25 * 1024 * 1024))
    # The authserv-id our receiving relay writes in Authentication-Results: a reply whose
    # top-most header with this id says DMARC (or aligned SPF) passed proves its sender.
    # Empty: no such header is trusted, and only the signed reply address proves a reply.
    MAIL_AUTHSERV_ID = os.environ.get("MAIL_AUTHSERV_ID", "").strip()
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
    ATTACHMENTS_PER_MESSAGE_MAX_BYTES = int(
        os.environ.get("ATTACHMENTS_PER_MESSAGE_MAX_BYTES", 20 * 1024 * 1024)
    )
    ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR") or str(INSTANCE_DIR / "attachments")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ["en", "es", "fr", "de", "pt_BR", "ja", "ar"]
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    API_PAGE_MAX = 200
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Behind HTTPS (directly or at the proxy): https URLs, Secure on every cookie, HSTS.
    HELPDESK_HTTPS = os.environ.get("HELPDESK_HTTPS", "") == "1"
    # How many proxies in front set X-Forwarded-* (0: none, the headers are ignored).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or os.environ.get("PROXY_FIX") or 0)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    # Redis down: count in this process's memory meanwhile, and never answer 500 for a counter.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Limits in Flask-Limiter notation ("5/minute;20/hour"); an empty string switches one off.
    # Failed sign-ins (staff, portal and API token) per e-mail tried and per address:
    # Failed sign-ins per e-mail tried from one address (a stranger elsewhere cannot lock the
    # owner out), and per e-mail from everywhere (a browser that signed in to it before passes):
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "5/minute;20/hour")
    RATELIMIT_LOGIN_ACCOUNT_ANYWHERE = os.environ.get(
        "RATELIMIT_LOGIN_ACCOUNT_ANYWHERE", "30/minute;100/hour"
    )
    RATELIMIT_LOGIN_ADDRESS = os.environ.get("RATELIMIT_LOGIN_ADDRESS", "30/minute;200/hour")
    RATELIMIT_API_INTAKE = os.environ.get("RATELIMIT_API_INTAKE", "600/minute")  # per token
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "10/hour")  # per address
    RATELIMIT_PORTAL_FILING = os.environ.get("RATELIMIT_PORTAL_FILING", "30/hour")  # per address
    # Per open socket: chat lines, typing signals and read receipts (chat bursts pass).
    RATELIMIT_CHAT_LINES = os.environ.get("RATELIMIT_CHAT_LINES", "20 per 10 seconds")
    RATELIMIT_CHAT_TYPING = os.environ.get("RATELIMIT_CHAT_TYPING", "10 per 10 seconds")
    RATELIMIT_CHAT_READS = os.environ.get("RATELIMIT_CHAT_READS", "30 per 10 seconds")
    # Password links asked for, staff and portals together, per address:
    RATELIMIT_PASSWORD_LINK = os.environ.get("RATELIMIT_PASSWORD_LINK", "5/hour")
    SCHEDULER_ENABLED = os.environ.get("SCHEDULER_ENABLED", "1") == "1"
    # Pages of other origins allowed to open Socket.IO connections (space-separated), beside
    # the app's own origin and PUBLIC_URL's.
    SOCKETIO_ALLOWED_ORIGINS = os.environ.get("SOCKETIO_ALLOWED_ORIGINS", "")
    # Seconds between two scheduler ticks (SLA scan, follow-the-sun, outgoing mail).
    SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", "30"))
    # An online agent with no page or socket activity for this long becomes away.
    AGENT_IDLE_MINUTES = float(os.environ.get("AGENT_IDLE_MINUTES", "15"))
    # A browser whose owner ticked "remember this device" skips the second factor this long.
    SECOND_FACTOR_REMEMBER_DAYS = int(os.environ.get("SECOND_FACTOR_REMEMBER_DAYS", "30"))

    @classmethod
    def resolve(cls) -> dict:
        """Return the settings computed at app creation (secret key, database URL).

        Settings that contradict each other stop the app here, with the reason.
        """
        from helpdesk.notify.smtp import SettingsError, check_outgoing

        try:
            check_outgoing(vars_of(cls))
        except SettingsError as exc:
            raise SystemExit(f"helpdesk: {exc}") from exc
        public = urlsplit(cls.PUBLIC_URL)
        if public.scheme not in ("http", "https") or not public.netloc or public.query:
            raise SystemExit(
                f"helpdesk: PUBLIC_URL must be an http(s) address such as "
                f"https://help.example.com, not {cls.PUBLIC_URL!r}."
            )
        url = cls.SQLALCHEMY_DATABASE_URI or _database_url()
        options = dict(cls.SQLALCHEMY_ENGINE_OPTIONS)
        if not url.startswith("sqlite"):
            # A server can drop idle connections; a local SQLite file cannot.
            options.setdefault("pool_pre_ping", True)
        if url not in ("sqlite://", "sqlite:///:memory:"):
            # In threading mode every busy socket holds a connection while its event runs:
            # the default 5 + 10 turns a burst of chat into pool timeouts.
            options.setdefault("pool_size", _int_env("DB_POOL_SIZE", 20))
            options.setdefault("max_overflow", _int_env("DB_MAX_OVERFLOW", 40))
        return {
            "SECRET_KEY": cls.SECRET_KEY or installation_secret(),
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
        }


def vars_of(cls: type) -> dict:
    """A config class's upper-case settings, inherited ones included."""
    return {name: getattr(cls, name) for name in dir(cls) if name.isupper()}


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


class TestConfig(Config):
    """Settings for the test suite: in-memory or DATABASE_URL, no message queue, no CSRF."""

    WORLD_CACHE_SECONDS = 0.0  # every use checks the world version
    TESTING = True
    SECRET_KEY = secrets.token_hex(32)  # a new one per test run: no fixed key in the code
    SQLALCHEMY_DATABASE_URI = None  # set by tests/conftest.py
    SOCKETIO_MESSAGE_QUEUE = None
    WTF_CSRF_ENABLED = False
    SCHEDULER_ENABLED = False
    # Socket events run in the test's own app context and session; tests of the line
    # writer turn it on (tests/realtime/test_linewriter.py).
    CHAT_GROUP_COMMIT = False
    # The limiter runs, but without limits: tests of a limit set one on app.config.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN_ACCOUNT = ""
    RATELIMIT_LOGIN_ACCOUNT_ANYWHERE = ""
    RATELIMIT_LOGIN_ADDRESS = ""
    RATELIMIT_API_INTAKE = ""
    RATELIMIT_REGISTER = ""
    RATELIMIT_PORTAL_FILING = ""
    RATELIMIT_PASSWORD_LINK = ""
    HELPDESK_HTTPS = False
    TRUSTED_PROXIES = 0
