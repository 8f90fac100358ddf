-- The tracker store's runtime role: read, insert and delete conversation
-- events; no DDL, no UPDATE, nothing else. Run once as the database owner
-- after the table exists (start the assistant once as the owner, or let
-- `make run-prod` create it), then give the Rasa servers this role in
-- DATABASE_URL. Set the password outside this file:
--   psql -v app_password="$(openssl rand -hex 24)" -f deploy/postgres-roles.sql
-- (tests/test_least_privilege.py runs these statements with its own role name.)
CREATE ROLE carer_app LOGIN;
ALTER ROLE carer_app PASSWORD :'app_password';
GRANT USAGE ON SCHEMA public TO carer_app;
GRANT SELECT, INSERT, DELETE ON TABLE events TO carer_app;
GRANT USAGE, SELECT ON SEQUENCE events_id_seq TO carer_app;
