//! The Postgres wire protocol front end of SkillHouse (DESIGN §10): analysts connect with psql, DBeaver or Superset
//! and query the published snapshot read-only, under the same bounds as the REPL.
