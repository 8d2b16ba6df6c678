-- postgres-setup: the database and the role dns-analytics uses, as the seed guide names them.
-- Run as the postgres superuser: sudo -u postgres psql -f deploy/postgres-setup.sql
-- Parameters: edit the password below first. Not safe to re-run (create role/database fail
--   when they exist; that is harmless).
create role dns_user login password 'change-me';
create database dns_analytics owner dns_user;
-- dns-analytics creates and migrates its own tables as dns_user (the owner).
