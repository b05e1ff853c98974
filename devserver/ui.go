package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.uber.org/zap"
)

// uiServer is a running Temporal Web UI.
type uiServer struct {
	srv  *uiserver.Server
	url  string
	done chan struct{}
}

// startUI serves the Web UI on addr, talking to the frontend at frontendAddr, and returns
// once it answers its health check. Without writeActions the UI only reads: its server
// refuses every write request (DisableWriteActions; queries, which change nothing, pass).
func startUI(ctx context.Context, addr, frontendAddr, namespace string, writeActions bool, tf tlsFiles, logger *zap.Logger) (*uiServer, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("invalid --ui-addr %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("invalid --ui-addr %q: %w", addr, err)
	}
	dialHost := host
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		dialHost = loopback
	}
	bindHost := host
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		bindHost = "[" + host + "]" // The UI server joins host and port with a plain colon.
	}

	cfg := &uiconfig.Config{
		Host:                bindHost,
		Port:                port,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		// Plain HTTP on loopback: the CSRF cookie must not require HTTPS.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
		// Do not fetch release news from the internet.
		DisableNewsFetch: true,
		// Terminate, reset, signal and the rest change a workflow with no audit row: off
		// unless --ui-write-actions.
		DisableWriteActions: !writeActions,
	}
	if tf.on() {
		cfg.TLS = uiTLS(tf, logger)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("UI config: %w", err)
	}

	u := &uiServer{
		url:  "http://" + net.JoinHostPort(dialHost, portStr),
		done: make(chan struct{}),
	}
	if err := func() (err error) {
		// NewServer panics on configuration problems instead of returning an error.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("create UI server: %v", r)
			}
		}()
		u.srv = uiserver.NewServer(uiserveroptions.WithConfigProvider(cfg))
		return nil
	}(); err != nil {
		return nil, err
	}
	go func() {
		defer close(u.done)
		// Start blocks until Stop; a listen failure exits the process inside the UI
		// server, which is why the address is checked before the server starts.
		if err := u.srv.Start(); err != nil {
			logger.Error("UI server failed", zap.Error(err))
		}
	}()

	if err := u.waitHealthy(ctx); err != nil {
		u.stop()
		return nil, err
	}
	logger.Info("web UI ready", zap.String("url", u.url))
	return u, nil
}

// uiTLS is the UI server's TLS towards a TLS frontend. On a guarded frontend the UI presents
// the devserver's internal client certificate, handed over in memory as base64 PEM; the UI
// server's own log then says only "Loaded TLS key from base64" and "Loaded TLS cert from
// base64", so this logs first which key and certificate those are (never the key itself).
func uiTLS(tf tlsFiles, logger *zap.Logger) uiconfig.TLS {
	t := uiconfig.TLS{CaFile: tf.CA, EnableHostVerification: true}
	if tf.internal == nil {
		return t
	}
	t.CertData, t.KeyData = b64(tf.internal.certPEM), b64(tf.internal.keyPEM)
	fields := []zap.Field{zap.String("purpose", "client certificate of the web UI towards the guarded frontend"),
		zap.String("source", "made in memory by this devserver at start (no file)")}
	if leaf := tf.internal.cert.Leaf; leaf != nil {
		fields = append(fields, zap.String("subject", leaf.Subject.CommonName), zap.String("issuer", leaf.Issuer.CommonName),
			zap.Time("not_after", leaf.NotAfter))
	}
	logger.Info("web UI: handing the internal client certificate and its key to the UI server as base64 PEM "+
		"(its \"Loaded TLS key from base64\" and \"Loaded TLS cert from base64\" lines are these)", fields...)
	return t
}

// waitHealthy polls the UI health endpoint until it answers 200 OK.
func (u *uiServer) waitHealthy(ctx context.Context) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	var lastErr error
	err := poll(ctx, func() (bool, error) {
		select {
		case <-u.done:
			return false, errors.New("UI server exited during start")
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url+"/healthz", nil)
		if err != nil {
			return false, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			lastErr = err
			return false, nil
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("health check returned %s", resp.Status)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("UI at %s is not healthy: %w (last error: %v)", u.url, err, lastErr)
	}
	return nil
}

// stop shuts the UI server down and waits for it to exit.
func (u *uiServer) stop() {
	u.srv.Stop()
	select {
	case <-u.done:
	case <-time.After(5 * time.Second):
	}
}
