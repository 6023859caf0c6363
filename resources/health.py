"""Probes for load balancers and process managers: public, cheap, never rate limited."""

from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from mail.outbox import backlog
from schemas import ReadySchema, StatusSchema
from web.blueprint import Blueprint

blp = Blueprint("health", __name__, description="Liveness and readiness probes")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, StatusSchema)
    def get(self):
        """Liveness: the process answers (touches no database)"""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, schema=ErrorSchema, description="The database cannot be reached")
    def get(self):
        """Readiness: the database answers; mail waiting to be sent is reported, not fatal"""
        return {"status": "ready", "mail": backlog()}
