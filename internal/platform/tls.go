package platform

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"egovpm/internal/config"
)

// ClientOptions are the Temporal client options of cfg: address, namespace, identity
// (Identity(cfg.Component)), compression and,
// for a secured cluster, TLS (server verification by TEMPORAL_TLS_CA_FILE or the system's
// roots, a client certificate for mTLS) and an API key.
func ClientOptions(cfg config.Config) (client.Options, error) {
	opts := client.Options{
		HostPort:          cfg.TemporalAddress,
		Namespace:         cfg.TemporalNamespace,
		Identity:          Identity(cfg.Component),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: Compression(cfg.TemporalCompression)},
		ExternalStorage:   payloadVisiting,
	}
	if cfg.TemporalTLS {
		tc, err := TemporalTLS(cfg)
		if err != nil {
			return opts, err
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return opts, nil
}

// payloadVisiting keeps the SDK's payload visitor on the caller's goroutine. SDK 1.51 walks
// every workflow and activity task the worker polls and completes (and each Update, start and
// signal the client sends) for external storage and payload-size warnings whether or not a
// storage driver is configured (none is here; no option turns the walk off), and with its
// default MaxOperationsPerMessage of 8 it starts a goroutine for every payload site of a task
// and waits for them. With 1 it visits them in turn (proxy.VisitPayloads starts none for a
// limit of 1): 42 allocations and ~60,400 instructions per decision task visited instead of
// 52 and ~64,800 (BenchmarkPayloadVisit; docs/PERFORMANCE.md §11.4).
var payloadVisiting = converter.ExternalStorage{Concurrency: converter.ExternalStorageConcurrency{MaxOperationsPerMessage: 1}}

// TemporalTLS builds the TLS configuration of the Temporal client from cfg's TEMPORAL_TLS_*
// files; a file that cannot be read or parsed is an error naming its variable.
func TemporalTLS(cfg config.Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TemporalServerName}
	if cfg.TemporalCAFile != "" {
		pem, err := os.ReadFile(cfg.TemporalCAFile)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA_FILE: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA_FILE: no PEM certificate in %s", cfg.TemporalCAFile)
		}
	}
	if cfg.TemporalCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalCertFile, cfg.TemporalKeyFile)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT_FILE/TEMPORAL_TLS_KEY_FILE: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
