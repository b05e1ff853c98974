// Package deploy holds the deployment's configuration files (Prometheus rules, the Grafana
// dashboard, the proxy and Temporal settings) and the test of the backup and restore scripts
// (scripts/backup.sh, scripts/restore.sh) against the real local PostgreSQL.
package deploy
