package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"go.temporal.io/server/common/config"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/rpc/encryption"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// A secured frontend (issue 21 item 6: a client of an existing secured cluster, tested end to
// end) asks its callers for a client certificate its --tls-client-ca-file signed (mTLS), an
// API key (`authorization: Bearer <key>`, --api-key-file), or both. The devserver's own
// callers of the frontend — the system workers, its namespace client and the Web UI — hold
// neither: they present a client certificate of an internal CA made at start, whose private
// key never leaves the process; the frontend trusts that CA besides the operator's, and the
// API key check lets its certificates through.

// loadAPIKey reads the API key of --api-key-file: the file's content, surrounding white space
// trimmed; an empty key is an error.
func loadAPIKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--api-key-file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("--api-key-file: %s holds no key", path)
	}
	return key, nil
}

// appendClientCA adds the certificates of the --tls-client-ca-file path to pool.
func appendClientCA(pool *x509.CertPool, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--tls-client-ca-file: %w", err)
	}
	if !pool.AppendCertsFromPEM(b) {
		return fmt.Errorf("--tls-client-ca-file: no PEM certificate in %s", path)
	}
	return nil
}

// internalIdentity is the devserver's own client certificate and the CA that signed it.
type internalIdentity struct {
	ca      *x509.Certificate
	cert    tls.Certificate
	certPEM []byte
	keyPEM  []byte
}

// newInternalIdentity makes a fresh CA and a client certificate it signs, valid for a year.
func newInternalIdentity() (*internalIdentity, error) {
	now := time.Now()
	id, notAfter := &internalIdentity{}, now.AddDate(1, 0, 0)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "egovpm devserver internal CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if id.ca, err = x509.ParseCertificate(caDER); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "egovpm devserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, id.ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	id.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	id.keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if id.cert, err = tls.X509KeyPair(id.certPEM, id.keyPEM); err != nil {
		return nil, err
	}
	return id, nil
}

// b64 is the base64 form the Temporal server and UI configurations take inline PEM data in.
func b64(pemBytes []byte) string { return base64.StdEncoding.EncodeToString(pemBytes) }

// signedByMe reports whether the peer's verified certificate chain ends at id's CA.
func (id *internalIdentity) signedByMe(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return false
	}
	for _, chain := range info.State.VerifiedChains {
		if len(chain) > 0 && chain[len(chain)-1].Equal(id.ca) {
			return true
		}
	}
	return false
}

// guardedTLS is the server's TLS configuration provider with the frontend asking callers for
// a client certificate: required and verified against the operator's client CA and the
// internal one (mTLS), or, with only an API key, verified when given (the devserver's own
// callers give one).
type guardedTLS struct {
	encryption.TLSConfigProvider
	clientCAs *x509.CertPool
	require   bool
}

// newGuardedTLS wraps base; clientCAFile is the operator's client CA, empty for none.
func newGuardedTLS(base encryption.TLSConfigProvider, clientCAFile string, id *internalIdentity) (*guardedTLS, error) {
	pool := x509.NewCertPool()
	pool.AddCert(id.ca)
	if clientCAFile != "" {
		if err := appendClientCA(pool, clientCAFile); err != nil {
			return nil, err
		}
	}
	return &guardedTLS{TLSConfigProvider: base, clientCAs: pool, require: clientCAFile != ""}, nil
}

// GetFrontendServerConfig is the base configuration with the client certificate settings,
// also in the per-connection configuration the base one hands out.
func (g *guardedTLS) GetFrontendServerConfig() (*tls.Config, error) {
	c, err := g.TLSConfigProvider.GetFrontendServerConfig()
	if err != nil || c == nil {
		return c, err
	}
	c = g.apply(c)
	if perConn := c.GetConfigForClient; perConn != nil {
		c.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			cc, err := perConn(h)
			if err != nil || cc == nil {
				return cc, err
			}
			return g.apply(cc), nil
		}
	}
	return c, nil
}

// apply returns a copy of c asking for client certificates.
func (g *guardedTLS) apply(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.ClientCAs = g.clientCAs
	c.ClientAuth = tls.VerifyClientCertIfGiven
	if g.require {
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c
}

// apiKeyInterceptor refuses, with Unauthenticated, every frontend call that carries neither
// `authorization: Bearer <key>` nor a client certificate of the internal CA. gRPC health
// checks pass: load balancers and probes hold no key.
func apiKeyInterceptor(key string, id *internalIdentity) grpc.UnaryServerInterceptor {
	want := []byte("Bearer " + key)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if strings.HasPrefix(info.FullMethod, "/grpc.health.v1.Health/") || id.signedByMe(ctx) {
			return handler(ctx, req)
		}
		got := metadata.ValueFromIncomingContext(ctx, "authorization")
		if len(got) == 0 {
			return nil, status.Error(codes.Unauthenticated, "API key required: send authorization: Bearer <key>")
		}
		if subtle.ConstantTimeCompare([]byte(got[0]), want) != 1 {
			return nil, status.Error(codes.Unauthenticated, "invalid API key")
		}
		return handler(ctx, req)
	}
}

// guardOptions are the server options of a guarded frontend (tf.guarded): the TLS provider
// asking for client certificates and, with an API key, its interceptor; none otherwise.
func guardOptions(cfg *config.Config, tf tlsFiles, logger tlog.Logger) ([]temporal.ServerOption, error) {
	if tf.internal == nil {
		return nil, nil
	}
	base, err := encryption.NewTLSConfigProviderFromConfig(cfg.Global.TLS, metrics.NoopMetricsHandler, logger, nil)
	if err != nil {
		return nil, fmt.Errorf("TLS configuration: %w", err)
	}
	g, err := newGuardedTLS(base, tf.ClientCA, tf.internal)
	if err != nil {
		return nil, err
	}
	opts := []temporal.ServerOption{temporal.WithTLSConfigFactory(g)}
	if tf.APIKey != "" {
		opts = append(opts, temporal.WithChainedFrontendGrpcInterceptors(apiKeyInterceptor(tf.APIKey, tf.internal)))
	}
	return opts, nil
}
