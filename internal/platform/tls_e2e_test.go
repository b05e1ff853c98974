package platform_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"egovpm/internal/config"
	"egovpm/internal/platform"
	"egovpm/internal/testenv"
)

// writePEM writes one PEM block of type typ to dir/name and returns the path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return p
}

// selfSignedCA makes a CA and a server certificate it signs for 127.0.0.1, in dir: the CA's
// certificate file, the server's certificate and key files.
func selfSignedCA(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "egovpm test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	require.NoError(t, err)
	return writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER), writePEM(t, dir, "server.pem", "CERTIFICATE", srvDER),
		writePEM(t, dir, "server-key.pem", "EC PRIVATE KEY", keyDER)
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
