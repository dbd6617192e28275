"""What Superset's table browser asks through SQLAlchemy's PostgreSQL inspector, printed as one JSON document:
schemas, tables and views, and for every table its columns (name, type, nullable, comment), keys, indexes,
constraints and comment; a view's definition; then Superset's way of querying a table (reflect it, count rows
through SQLAlchemy Core with a bound parameter).

Usage: python3 sqlalchemy_inspect.py URL   (postgresql+psycopg2://user:password@host:port/skillhouse)
"""
import json, sys
import sqlalchemy as sa

engine = sa.create_engine(sys.argv[1])
inspector = sa.inspect(engine)
out = {
    "schemas": inspector.get_schema_names(),
    "tables": sorted(inspector.get_table_names()),
    "views": sorted(inspector.get_view_names()),
}
detail = {}
for table in out["tables"] + out["views"]:
    detail[table] = {
        "columns": [
            {"name": c["name"], "type": str(c["type"]), "nullable": c["nullable"], "comment": c.get("comment")}
            for c in inspector.get_columns(table)
        ],
        "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
        "foreign_keys": inspector.get_foreign_keys(table),
        "indexes": inspector.get_indexes(table),
        "unique": inspector.get_unique_constraints(table),
        "checks": inspector.get_check_constraints(table),
        "comment": inspector.get_table_comment(table)["text"],
    }
out["detail"] = detail
out["view_definition"] = inspector.get_view_definition(out["views"][0]) if out["views"] else None
persons = sa.Table("persons", sa.MetaData(), autoload_with=engine)
with engine.connect() as connection:
    query = sa.select(sa.func.count()).select_from(persons).where(persons.c.skilled, persons.c.year == 2024)
    out["skilled_2024"] = connection.execute(query).scalar()
print(json.dumps(out, ensure_ascii=False, default=str))
