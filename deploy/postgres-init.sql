-- First start of the PostgreSQL container: the read model's own role and database, apart from
-- Temporal's (temporal, temporal_visibility: created by deploy/temporal-schema.sh).
CREATE ROLE toshin LOGIN PASSWORD 'toshin';
CREATE DATABASE toshin OWNER toshin;
