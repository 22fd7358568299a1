"""Helpdesk: an outsourced, multi-tenant help desk. `create_app` builds the Flask app."""

from flask import Flask

from config import BASE_DIR, Config
from helpdesk.extensions import babel, csrf, db, login_manager, migrate, socketio


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the app: bind the extensions, register blueprints, handlers and commands."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_class)
    for key, value in config_class.resolve().items():
        app.config[key] = value

    from helpdesk import i18n, models, ratelimit, security  # noqa: F401  (models: tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=security.socket_origins(app.config),
    )
    i18n.init_app(app)
    security.init_app(app)  # after socketio.init_app: ProxyFix wraps the Socket.IO middleware
    ratelimit.init_app(app)

    from helpdesk import (
        admin,
        agent,
        api,
        attachments,
        auth,
        errors,
        portal,
        settings,
        supervisor,
    )
    from helpdesk.database import init_database_hooks

    init_database_hooks(app)
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(portal.bp, url_prefix="/c/<client_slug>")
    app.register_blueprint(agent.bp, url_prefix="/agent")
    app.register_blueprint(supervisor.bp, url_prefix="/supervisor")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(attachments.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)
    errors.init_app(app)

    from helpdesk import cli
    from helpdesk.realtime import events  # noqa: F401  (registers the Socket.IO handlers)

    cli.init_app(app)
    return app
