"""The database object, shared by models and views, and its migrations. How its
connections are bounded and retried is connections.py's job."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
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


# expire_on_commit=False: a view that commits can still serialize what it wrote
# without reloading every attribute from the database.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# Batch mode lets Alembic ALTER tables on SQLite, which cannot ALTER constraints.
migrate = Migrate(render_as_batch=True, compare_type=True)
