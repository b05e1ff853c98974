package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"go.temporal.io/server/common/config"
)

// tlsFiles serve the frontend over TLS (issue 21 item 6: a client that verifies a cluster's
// certificate, tested end to end): the frontend's certificate and key, and the CA that signed
// it, which the devserver's own clients (namespace setup, system workers, Web UI) trust. All
// three or none.
type tlsFiles struct {
	Cert, Key, CA string
	// ClientCA, when set, makes the frontend require a client certificate it signed (mTLS).
	ClientCA string
	// APIKey, when set, makes the frontend require `authorization: Bearer <APIKey>` (auth.go).
	APIKey string
	// internal is the devserver's own client identity when ClientCA or APIKey is set.
	internal *internalIdentity
}

// guarded reports whether the frontend asks its callers for a client certificate or a key.
func (t tlsFiles) guarded() bool { return t.ClientCA != "" || t.APIKey != "" }

// on reports whether the frontend serves TLS.
func (t tlsFiles) on() bool { return t.Cert != "" }

// tlsFlags registers --tls-cert-file, --tls-key-file, --tls-ca-file, --tls-client-ca-file and
// --api-key-file on fs (defaults from env) and returns the function that reads them after
// parsing.
func tlsFlags(fs *flag.FlagSet, env func(key, def string) string) func() (tlsFiles, error) {
	cert := fs.String("tls-cert-file", env("TEMPORAL_TLS_SERVER_CERT_FILE", ""),
		"serve the frontend over TLS with this PEM certificate `file` (with --tls-key-file and --tls-ca-file) [TEMPORAL_TLS_SERVER_CERT_FILE]")
	key := fs.String("tls-key-file", env("TEMPORAL_TLS_SERVER_KEY_FILE", ""), "PEM private key `file` of --tls-cert-file [TEMPORAL_TLS_SERVER_KEY_FILE]")
	ca := fs.String("tls-ca-file", env("TEMPORAL_TLS_SERVER_CA_FILE", ""),
		"PEM `file` of the CA that signed --tls-cert-file, trusted by the devserver's own clients [TEMPORAL_TLS_SERVER_CA_FILE]")
	clientCA := fs.String("tls-client-ca-file", env("TEMPORAL_TLS_SERVER_CLIENT_CA_FILE", ""),
		"require callers of the frontend to present a client certificate signed by the CA in this PEM `file` (mTLS; needs --tls-cert-file) [TEMPORAL_TLS_SERVER_CLIENT_CA_FILE]")
	apiKey := fs.String("api-key-file", env("TEMPORAL_SERVER_API_KEY_FILE", ""),
		"require callers of the frontend to send the API key held in this `file` as authorization: Bearer <key> (needs --tls-cert-file) [TEMPORAL_SERVER_API_KEY_FILE]")
	return func() (tlsFiles, error) {
		t := tlsFiles{Cert: *cert, Key: *key, CA: *ca, ClientCA: *clientCA}
		if (t.Cert == "") != (t.Key == "") || (t.Cert == "") != (t.CA == "") {
			return t, errors.New("--tls-cert-file, --tls-key-file and --tls-ca-file: set all three, or none")
		}
		if !t.on() && (t.ClientCA != "" || *apiKey != "") {
			return t, errors.New("--tls-client-ca-file and --api-key-file need TLS: set --tls-cert-file, --tls-key-file and --tls-ca-file")
		}
		if *apiKey != "" {
			k, err := loadAPIKey(*apiKey)
			if err != nil {
				return t, err
			}
			t.APIKey = k
		}
		if t.ClientCA != "" {
			if err := appendClientCA(x509.NewCertPool(), t.ClientCA); err != nil {
				return t, err
			}
		}
		if t.on() {
			if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
				return t, fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
			}
			if _, err := t.clientConfig(""); err != nil {
				return t, err
			}
		}
		return t, nil
	}
}

// serverTLS is the Temporal server's TLS configuration: the frontend serves t's certificate;
// the system workers and other internal clients of the frontend verify it with t's CA
// (serverName: the host the certificate names). Internode traffic (history, matching) stays
// on loopback in plain gRPC.
func (t tlsFiles) serverTLS(serverName string) config.RootTLS {
	client := config.ClientTLS{ServerName: serverName, RootCAFiles: []string{t.CA}}
	worker := config.WorkerTLS{Client: client}
	if t.internal != nil {
		worker.CertData, worker.KeyData = b64(t.internal.certPEM), b64(t.internal.keyPEM)
	}
	return config.RootTLS{
		Frontend:     config.GroupTLS{Server: config.ServerTLS{CertFile: t.Cert, KeyFile: t.Key}, Client: client},
		SystemWorker: worker,
	}
}

// clientConfig is the TLS configuration of the devserver's own SDK client: t's CA as roots
// and, on a guarded frontend, the internal client certificate.
func (t tlsFiles) clientConfig(serverName string) (*tls.Config, error) {
	pem, err := os.ReadFile(t.CA)
	if err != nil {
		return nil, fmt.Errorf("--tls-ca-file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca-file: no PEM certificate in %s", t.CA)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: serverName}
	if t.internal != nil {
		tc.Certificates = []tls.Certificate{t.internal.cert}
	}
	return tc, nil
}
