"""The Stores REST API: `flask run` for development, `gunicorn "app:create_app()"` in production."""

from collections.abc import Mapping

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

import config
import mail
import mfa
import models  # noqa: F401  (registers the tables for migrations)
import resources
import security
from db import db, init_deadline, migrate
from web import cors, demo, errors, openapi, protocol, requestlog
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
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)

    db.init_app(app)
    migrate.init_app(app, db)
    init_deadline(app)
    cors.init_app(app)
    api = Api(app, spec_kwargs=openapi.SPEC_KWARGS)
    resources.register(app, api)
    openapi.init_app(app, api)
    security.init_app(app)  # after the blueprints: the rate limits wrap their views
    errors.init_app(app)  # after Api, so its JSON shape covers every error
    protocol.init_app(app)
    demo.init_app(app)
    mail.init_app(app)
    mfa.init_app(app)
    requestlog.init_app(app)
    return app
