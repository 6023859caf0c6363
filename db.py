"""The database object, shared by models and views, and its migrations. How its
connections are bounded and retried is connections.py's job."""

from typing import TYPE_CHECKING, ClassVar

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # each model maps one Table (DeclarativeBase says FromClause)
        __table__: ClassVar[Table]


# expire_on_commit=False: a view that commits can still serialize what it wrote
# without reloading every attribute from the database.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# What models subclass: db.Model, which Flask-SQLAlchemy makes at run time from Base, so
# a type checker sees Base (the mapping API; this code never uses db.Model's extras).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# Batch mode lets Alembic ALTER tables on SQLite, which cannot ALTER constraints.
migrate = Migrate(render_as_batch=True, compare_type=True)
