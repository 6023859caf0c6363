"""A user's own login sessions, as devices: list them, end one, end all the others."""

from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt
from flask_smorest import abort
from flask_smorest.error_handler import ErrorSchema

from db import db
from schemas import MessageSchema
from security.schemas import EndedSessionsSchema, LoginSessionSchema
from security.sessions import end_other_sessions, end_users_session, live_sessions
from web.blueprint import Blueprint

blp = Blueprint("sessions", __name__, description="My login sessions (devices)")

# A user with more live sessions than this sees the newest; DELETE /my-info/sessions
# still ends every other one.
MAX_SESSIONS = 100


@blp.route("/my-info/sessions")
class MySessions(MethodView):
    @blp.login_required()
    @blp.response(
        200,
        LoginSessionSchema(many=True),
        description=f"My live sessions, newest first (at most the {MAX_SESSIONS} newest)",
    )
    def get(self):
        """My live login sessions, newest first; `current` marks this token's"""
        return live_sessions(current_user.id, get_jwt()["sid"], MAX_SESSIONS)

    @blp.login_required()
    @blp.response(200, EndedSessionsSchema)
    def delete(self):
        """End every login session of mine but this one ("log out everywhere else")"""
        ended = end_other_sessions(current_user.id, get_jwt()["sid"])
        db.session.commit()
        return {"message": "Other sessions ended.", "ended": ended}


@blp.route("/my-info/sessions/<sid:session_id>")
class MySession(MethodView):
    @blp.login_required()
    @blp.response(200, MessageSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No live session of mine by that id")
    def delete(self, session_id):
        """End one of my login sessions: every token of it stops working"""
        if not end_users_session(current_user.id, session_id):
            abort(404)
        db.session.commit()
        return {"message": "Session ended."}
