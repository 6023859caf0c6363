"""The Stores REST API: `flask run` for development, `gunicorn "app:create_app()"` in production."""

from collections.abc import Mapping

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

import breaker
import config
import connections
import mail
import mfa
import models  # noqa: F401  (registers the tables for migrations)
import pooler
import resources
import security
from db import db, migrate
from web import cors, demo, errors, hosts, openapi, protocol, proxies, requestlog
from web.json import OrjsonProvider


def create_app(test_config: Mapping | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    config.finalize(app.config)
    if app.config["PROXY_COUNT"]:  # trust X-Forwarded-For/-Proto from our own proxies only
        count = app.config["PROXY_COUNT"]
        by_address = 0 if app.config["TRUSTED_PROXIES"] else count  # then the address wins
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=by_address, x_proto=count)  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXIES"]:  # X-Forwarded-For hops believed by who sent them
        app.wsgi_app = proxies.TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db)
    connections.init_app(app)  # deadlines on pooled connections
    pooler.init_app(app)  # behind PgBouncer: its timeouts checked on each new connection
    breaker.init_app(app)  # after the deadlines: a timed-out call counts as a failure
    cors.init_app(app)
    api = Api(app, spec_kwargs=openapi.SPEC_KWARGS)
    resources.register(app, api)
    openapi.init_app(app, api)
    security.init_app(app)  # after the blueprints: the rate limits wrap their views
    errors.init_app(app)  # after Api, so its JSON shape covers every error
    protocol.init_app(app)
    hosts.init_app(app)
    demo.init_app(app)
    mail.init_app(app)
    mfa.init_app(app)
    requestlog.init_app(app)
    return app
