"""Baseline: a bare Flask app with one GET and one POST endpoint, served by
gunicorn with the same settings as the API, so run.py can show the API's overhead."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok")


@app.post("/echo")
def echo():
    return jsonify(request.get_json()), 201
