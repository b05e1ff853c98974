package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"egovpm/internal/testenv"
)

// TestTemporalSetupRegistersTheSearchAttributes: against a Temporal namespace without egovpm's
// search attributes (a devserver started as a stock server), `egovpm temporal-setup` registers
// all five through the Operator API, and a second run changes nothing (issue 21 item 3).
func TestTemporalSetupRegistersTheSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := testenv.StartDevserver(ctx, t.TempDir(), "", "--search-attributes=false")
	require.NoError(t, err)
	t.Cleanup(d.Stop)
	c := cli{t: t, vars: map[string]string{"TEMPORAL_ADDRESS": d.Addr, "LOG_LEVEL": "error"}}

	require.Equal(t, "namespace default: registered PlanYear, ProjectID, Stage, TaskKind, UnitID\n", c.ok("", "temporal-setup"))
	require.Equal(t, "namespace default: every search attribute is registered\n", c.ok("", "temporal-setup"))
	_, err = c.run("", "temporal-setup", "--namespace", "x")
	require.Error(t, err, "it takes no flags: the namespace is TEMPORAL_NAMESPACE")
}

// Issue 21 item 6: the gateway's and worker's real configuration path (config.Load from the
// environment, then platform.DialTemporal) reaches a cluster that requires both a client
// certificate (mTLS) and an API key: `egovpm temporal-setup`, configured by TEMPORAL_TLS_CA_FILE,
// TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_KEY_FILE and TEMPORAL_API_KEY, registers the search
// attributes; without TEMPORAL_API_KEY it is refused.
func TestTemporalSetupOnASecuredCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ca, err := testenv.NewCA(dir, "ca")
	require.NoError(t, err)
	srvCert, srvKey, err := ca.Issue("server", true)
	require.NoError(t, err)
	clientCert, clientKey, err := ca.Issue("worker", false)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "api-key")
	require.NoError(t, os.WriteFile(keyFile, []byte("a-cluster-api-key"), 0o600))
	d, err := testenv.StartDevserver(ctx, dir, "", "--search-attributes=false", "--tls-cert-file", srvCert, "--tls-key-file", srvKey,
		"--tls-ca-file", ca.File, "--tls-client-ca-file", ca.File, "--api-key-file", keyFile)
	require.NoError(t, err)
	t.Cleanup(d.Stop)
	vars := map[string]string{"TEMPORAL_ADDRESS": d.Addr, "LOG_LEVEL": "error", "TEMPORAL_TLS_CA_FILE": ca.File,
		"TEMPORAL_TLS_CERT_FILE": clientCert, "TEMPORAL_TLS_KEY_FILE": clientKey}

	_, err = cli{t: t, vars: vars}.run("", "temporal-setup")
	require.ErrorContains(t, err, "API key required")
	vars["TEMPORAL_API_KEY"] = "a-cluster-api-key"
	require.Equal(t, "namespace default: registered PlanYear, ProjectID, Stage, TaskKind, UnitID\n", cli{t: t, vars: vars}.ok("", "temporal-setup"))
}
