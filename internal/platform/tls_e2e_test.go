package platform_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"

	"egovpm/internal/config"
	"egovpm/internal/platform"
	"egovpm/internal/testenv"
)

// selfSignedCA makes a CA and a server certificate it signs for 127.0.0.1, in dir: the CA's
// certificate file, the server's certificate and key files.
func selfSignedCA(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	c, err := testenv.NewCA(dir, "ca")
	require.NoError(t, err)
	cert, key, err = c.Issue("server", true)
	require.NoError(t, err)
	return c.File, cert, key
}

// Issue 21 item 6, end to end: the devserver serves its frontend over TLS with a certificate
// of a private CA; the Temporal client of the worker and the gateway (platform.DialTemporal,
// TEMPORAL_TLS and TEMPORAL_TLS_CA_FILE) connects with that CA and makes a call, and fails,
// naming the certificate, without it (the system roots do not know the CA) or without TLS.
func TestTemporalTLSEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := selfSignedCA(t, dir)
	ctx := context.Background()
	d, err := testenv.StartDevserver(ctx, dir, "", "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-file", ca)
	require.NoError(t, err)
	t.Cleanup(d.Stop)

	cfg := config.Config{Component: "worker", TemporalAddress: d.Addr, TemporalNamespace: "default", TemporalTLS: true,
		TemporalCAFile: ca, TemporalCompression: "none"}
	c, err := platform.DialTemporal(ctx, cfg, zap.NewNop())
	require.NoError(t, err, "with the CA")
	_, err = c.WorkflowService().GetSystemInfo(ctx, nil)
	require.NoError(t, err)
	c.Close()

	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	noCA := cfg
	noCA.TemporalCAFile = ""
	_, err = platform.DialTemporal(short(), noCA, zap.NewNop())
	require.Error(t, err, "the system roots do not know the private CA")
	require.ErrorContains(t, err, "certificate signed by unknown authority")

	plain := cfg
	plain.TemporalTLS, plain.TemporalCAFile = false, ""
	_, err = platform.DialTemporal(short(), plain, zap.NewNop())
	require.Error(t, err, "a plaintext client does not reach a TLS frontend")
	require.ErrorContains(t, err, "connect to Temporal at "+d.Addr)
}

// shortCtx is a context that ends in five seconds (a refused dial fails fast, not after 15 s).
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Issue 21 item 6, mTLS end to end: the devserver requires a client certificate signed by
// --tls-client-ca-file; the Temporal client with TEMPORAL_TLS_CERT_FILE/KEY_FILE of such a
// certificate connects and calls, and is refused without a certificate or with one another
// CA signed. The devserver's own clients (namespace setup, system workers) still work: it
// became ready and serves the namespace.
func TestTemporalMTLSEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := selfSignedCA(t, dir)
	clientCA, err := testenv.NewCA(dir, "client-ca")
	require.NoError(t, err)
	clientCert, clientKey, err := clientCA.Issue("gateway", false)
	require.NoError(t, err)
	strangerCA, err := testenv.NewCA(dir, "stranger-ca")
	require.NoError(t, err)
	strangerCert, strangerKey, err := strangerCA.Issue("stranger", false)
	require.NoError(t, err)
	ctx := context.Background()
	d, err := testenv.StartDevserver(ctx, dir, "", "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-file", ca,
		"--tls-client-ca-file", clientCA.File)
	require.NoError(t, err)
	t.Cleanup(d.Stop)

	cfg := config.Config{Component: "gateway", TemporalAddress: d.Addr, TemporalNamespace: "default", TemporalTLS: true,
		TemporalCAFile: ca, TemporalCertFile: clientCert, TemporalKeyFile: clientKey, TemporalCompression: "none"}
	c, err := platform.DialTemporal(ctx, cfg, zap.NewNop())
	require.NoError(t, err, "with a client certificate of the client CA")
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	c.Close()

	noCert := cfg
	noCert.TemporalCertFile, noCert.TemporalKeyFile = "", ""
	_, err = platform.DialTemporal(shortCtx(t), noCert, zap.NewNop())
	require.Error(t, err, "no client certificate")
	// TLS 1.3: the server's "certificate required" alert races the client's first write,
	// which may see a broken pipe instead; either way the dial fails, and only the client
	// certificate differs from the configuration that connected above.
	require.ErrorContains(t, err, "failed reaching server")

	stranger := cfg
	stranger.TemporalCertFile, stranger.TemporalKeyFile = strangerCert, strangerKey
	_, err = platform.DialTemporal(shortCtx(t), stranger, zap.NewNop())
	require.Error(t, err, "a client certificate another CA signed")
	require.ErrorContains(t, err, "failed reaching server") // as above, "unknown certificate authority" or a broken pipe
}

// Issue 21 item 6, API key end to end: the devserver requires `authorization: Bearer <key>`
// (--api-key-file); the Temporal client with TEMPORAL_API_KEY connects and calls, and is
// refused (Unauthenticated) with a wrong key or none.
func TestTemporalAPIKeyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := selfSignedCA(t, dir)
	keyFile := filepath.Join(dir, "api-key")
	require.NoError(t, os.WriteFile(keyFile, []byte("egovpm-test-key-0123456789\n"), 0o600))
	ctx := context.Background()
	d, err := testenv.StartDevserver(ctx, dir, "", "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-file", ca,
		"--api-key-file", keyFile)
	require.NoError(t, err)
	t.Cleanup(d.Stop)

	cfg := config.Config{Component: "worker", TemporalAddress: d.Addr, TemporalNamespace: "default", TemporalTLS: true,
		TemporalCAFile: ca, TemporalAPIKey: "egovpm-test-key-0123456789", TemporalCompression: "none"}
	c, err := platform.DialTemporal(ctx, cfg, zap.NewNop())
	require.NoError(t, err, "with the key")
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	c.Close()

	wrong := cfg
	wrong.TemporalAPIKey = "egovpm-test-key-0123456780"
	_, err = platform.DialTemporal(shortCtx(t), wrong, zap.NewNop())
	require.Error(t, err, "a wrong key")
	require.ErrorContains(t, err, "invalid API key")

	none := cfg
	none.TemporalAPIKey = ""
	_, err = platform.DialTemporal(shortCtx(t), none, zap.NewNop())
	require.Error(t, err, "no key")
	require.ErrorContains(t, err, "API key required")
}
