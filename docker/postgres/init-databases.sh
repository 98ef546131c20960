#!/bin/sh
# Runs once, when PostgreSQL starts on an empty data directory: one database per service, owned by a
# user of its own, so a service can reach no other service's data. The passwords come from the environment.
# docker-compose mounts this folder at /docker-entrypoint-initdb.d; the Kubernetes demo PostgreSQL runs a
# copy (k8s/demo/postgres/init-databases.sh, kept identical by apps/deploy-check).
set -eu

create_database() { # <database> <user> <password>
  psql --set ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set database="$1" --set owner="$2" --set password="$3" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"owner";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
}

create_database mediamagic_user user_service "$USER_SERVICE_DB_PASSWORD"
create_database mediamagic_deployment deployment_service "$DEPLOYMENT_SERVICE_DB_PASSWORD"
create_database mediamagic_email email_service "$EMAIL_SERVICE_DB_PASSWORD"
create_database mediamagic_analytics analytics_service "$ANALYTICS_SERVICE_DB_PASSWORD"
