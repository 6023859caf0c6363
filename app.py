"""The Stores REST API: `flask run` for development, `gunicorn "app:create_app()"` in production."""

from collections.abc import Mapping

from flask import Flask
from flask_cors import CORS
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

import auth
import cli
import config
import dbdeadline
import demo
import errors
import json_provider
import models  # noqa: F401  (registers the tables for migrations)
import passwords
import ratelimit
import requestlog
import resources
from db import db, migrate


def create_app(test_config: Mapping | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.json = json_provider.OrjsonProvider(app)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    config.finalize(app.config)
    if app.config["PROXY_COUNT"]:  # trust X-Forwarded-For from our own proxies only
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"])

    db.init_app(app)
    migrate.init_app(app, db)
    dbdeadline.init_app(app)
    auth.init_app(app)
    passwords.init_app(app)
    CORS(app, origins=app.config["CORS_ORIGINS"].split(","), expose_headers=["X-Pagination"])
    api = Api(app, spec_kwargs={"components": {"securitySchemes": config.SECURITY_SCHEMES}})
    resources.register(api)
    ratelimit.init_app(app)  # wraps the registered login and register views
    errors.init_app(app)  # after Api, so its JSON shape covers every error
    cli.init_app(app)
    demo.init_app(app)
    requestlog.init_app(app)
    return app
