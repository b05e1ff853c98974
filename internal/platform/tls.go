package platform

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"

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
