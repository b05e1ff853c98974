package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
)

const (
	// clusterName is the name of the single local cluster.
	clusterName = "active"
	// loopback is the address internal services bind to.
	loopback = "127.0.0.1"
	// readyTimeout bounds the checks made after the services have started.
	readyTimeout = time.Minute
	// stopTimeout bounds a graceful stop.
	stopTimeout = 30 * time.Second
)

// devServer is a running embedded Temporal server with its optional Web UI.
type devServer struct {
	logs     loggers
	temporal temporal.Server
	client   client.Client
	ui       *uiServer

	// frontendAddr is the address clients dial.
	frontendAddr string
	// uiURL is the Web UI URL, empty when the UI is off.
	uiURL string
	// dynConfig is the server's dynamic configuration.
	dynConfig *devConfig
	// stopVacuum stops the PostgreSQL store's stand-in for autovacuum (vacuum.go); nil when
	// none runs.
	stopVacuum func()
}

// servicePorts holds the gRPC ports of the Temporal services.
type servicePorts struct {
	frontend, history, matching, worker int
	// frontendHTTP serves the frontend HTTP API, which Nexus also needs.
	frontendHTTP int
}

// startDevServer prepares persistence, starts the Temporal services and the Web UI, and
// returns once the namespace and its search attributes are usable.
func startDevServer(ctx context.Context, o options, logs loggers) (*devServer, error) {
	feHost, fePortStr, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("invalid --addr %q: %w", o.Addr, err)
	}
	fePort, _ := strconv.Atoi(fePortStr)
	if feHost == "localhost" {
		feHost = loopback
	}
	ip := net.ParseIP(feHost)
	if feHost != "" && ip == nil {
		return nil, fmt.Errorf("invalid --addr %q: host must be an IP address or localhost", o.Addr)
	}
	dialHost := feHost
	if feHost == "" || ip.IsUnspecified() {
		dialHost = loopback
	}
	frontendAddr := net.JoinHostPort(dialHost, fePortStr)

	// Fail early with a clear message instead of deep inside the server start.
	if err := checkListen(o.Addr); err != nil {
		return nil, fmt.Errorf("frontend address %s is not available: %w", o.Addr, err)
	}
	if o.UIAddr != "" {
		if err := checkListen(o.UIAddr); err != nil {
			return nil, fmt.Errorf("UI address %s is not available: %w", o.UIAddr, err)
		}
	}
	if o.MetricsAddr != "" {
		if err := checkListen(o.MetricsAddr); err != nil {
			if !o.MetricsAddrDefault {
				return nil, fmt.Errorf("metrics address %s is not available: %w", o.MetricsAddr, err)
			}
			logs.app.Warn("metrics off: the default address is taken (set --metrics-addr)", zap.String("addr", o.MetricsAddr), zap.Error(err))
			o.MetricsAddr = ""
		}
	}
	// Never one of the ports this server is about to bind itself: the UI's was checked free
	// just above and is not bound yet, so the kernel may hand it out again (the side-by-side
	// test saw a devserver die that way: an internal service took its UI port).
	avoid := []int{fePort}
	for _, a := range []string{o.UIAddr, o.MetricsAddr} {
		if _, p, err := net.SplitHostPort(a); a != "" && err == nil {
			if n, err := strconv.Atoi(p); err == nil {
				avoid = append(avoid, n)
			}
		}
	}
	free, err := freePorts(loopback, 4, avoid...)
	if err != nil {
		return nil, fmt.Errorf("pick ports for internal services: %w", err)
	}
	ports := servicePorts{
		frontend:     fePort,
		history:      free[0],
		matching:     free[1],
		worker:       free[2],
		frontendHTTP: free[3],
	}

	st, err := newStore(o)
	if err != nil {
		return nil, err
	}
	ns := namespaceSpec{Name: o.Namespace, Retention: o.Retention, SearchAttributes: searchAttributes}
	if !o.SearchAttributes {
		ns.SearchAttributes = nil
	}
	if err := st.prepare(ns, clusterName); err != nil {
		return nil, err
	}
	logs.app.Info("persistence ready", zap.String("store", st.describe()))
	logs.app.Debug("service ports", zap.Int("frontend", ports.frontend), zap.Int("frontendHTTP", ports.frontendHTTP),
		zap.Int("history", ports.history), zap.Int("matching", ports.matching), zap.Int("worker", ports.worker))

	cfg := buildServerConfig(feHost, dialHost, ports, st.persistence())
	if o.TLS.guarded() {
		if o.TLS.internal, err = newInternalIdentity(); err != nil {
			return nil, fmt.Errorf("make the devserver's internal client certificate: %w", err)
		}
	}
	if o.TLS.on() {
		cfg.Global.TLS = o.TLS.serverTLS(dialHost)
	}
	if o.MetricsAddr != "" {
		// The server's own Prometheus endpoint, as a Temporal deployment configures it
		// (global.metrics.prometheus): tally names, timers as histograms in seconds.
		cfg.Global.Metrics = &metrics.Config{Prometheus: &metrics.PrometheusConfig{
			ListenAddress: o.MetricsAddr, HandlerPath: "/metrics",
		}}
	}
	tLogger := logs.temporalLogger()
	dynConfig := newDevConfig()
	dynConfig.longPoll = o.LongPoll
	dynConfig.historyCache, dynConfig.eventsCacheBytes = o.HistoryCacheEntries, o.EventsCacheMiB<<20
	srv, err := newTemporalServer(cfg, dialHost, ports, tLogger, dynConfig, o.TLS)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		_ = stopTemporal(srv, logs.app)
		return nil, fmt.Errorf("start temporal services: %w", err)
	}
	d := &devServer{logs: logs, temporal: srv, frontendAddr: frontendAddr, dynConfig: dynConfig}
	logs.app.Info("temporal services started",
		zap.String("grpc", frontendAddr),
		zap.String("http", net.JoinHostPort(dialHost, strconv.Itoa(ports.frontendHTTP))))

	readyCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := d.afterStart(readyCtx, o, ns, tLogger); err != nil {
		_ = d.stop()
		return nil, err
	}
	// Without --search-attributes the namespace is left as a stock server has it, indexes too:
	// the attributes `egovpm temporal-setup` adds later keep their columns' indexes.
	if o.SearchAttributes || o.FullVisibilityIndexes {
		if _, err := tuneVisibility(readyCtx, st, d.client, ns.Name, o.FullVisibilityIndexes, logs.app); err != nil {
			_ = d.stop()
			return nil, err
		}
	}
	if pg, ok := st.(*postgresStore); ok {
		d.stopVacuum = pg.startVacuum(logs.app)
	}
	return d, nil
}

// afterStart connects a client, makes sure the namespace and search attributes exist and
// starts the Web UI.
func (d *devServer) afterStart(ctx context.Context, o options, ns namespaceSpec, tLogger tlog.Logger) error {
	var tc *tls.Config
	if o.TLS.on() {
		var err error
		if tc, err = o.TLS.clientConfig(""); err != nil {
			return err
		}
	}
	c, err := dialClient(ctx, d.frontendAddr, ns.Name, tc, tLogger)
	if err != nil {
		return err
	}
	d.client = c
	if err := ensureNamespace(ctx, c, ns, d.logs.app); err != nil {
		return err
	}
	// Without --search-attributes the namespace keeps none of its own, and the forced refresh
	// stays on: attributes added later through the Operator API are then seen at once.
	if o.SearchAttributes {
		added, err := ensureSearchAttributes(ctx, c, ns, d.logs.app)
		if err != nil {
			return err
		}
		d.dynConfig.searchAttributesReady(added)
	}

	if o.UIAddr != "" {
		ui, err := startUI(ctx, o.UIAddr, d.frontendAddr, ns.Name, o.UIWriteActions, o.TLS, d.logs.app)
		if err != nil {
			return err
		}
		d.ui = ui
		d.uiURL = ui.url
	}
	return nil
}

// stop shuts down the Web UI, the client and the Temporal services.
func (d *devServer) stop() error {
	if d.stopVacuum != nil {
		d.stopVacuum()
	}
	d.logs.quietServer()
	if d.ui != nil {
		d.ui.stop()
	}
	if d.client != nil {
		d.client.Close()
	}
	return stopTemporal(d.temporal, d.logs.app)
}

// stopTemporal stops srv, giving up after stopTimeout.
func stopTemporal(srv temporal.Server, logger *zap.Logger) error {
	done := make(chan error, 1)
	go func() { done <- srv.Stop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(stopTimeout):
		logger.Warn("temporal services did not stop in time", zap.Duration("timeout", stopTimeout))
		return fmt.Errorf("temporal services did not stop within %s", stopTimeout)
	}
}

// newTemporalServer builds the server with all default services, static membership (no
// gossip ports) and the devserver's dynamic configuration.
func newTemporalServer(cfg *config.Config, host string, ports servicePorts, logger tlog.Logger, dynConfig *devConfig, tf tlsFiles) (temporal.Server, error) {
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("create authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("create claim mapper: %w", err)
	}
	hostPort := func(h string, p int) static.Hosts {
		return static.SingleLocalHost(net.JoinHostPort(h, strconv.Itoa(p)))
	}

	guard, err := guardOptions(cfg, tf, logger)
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(append(guard,
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: hostPort(host, ports.frontend),
			primitives.HistoryService:  hostPort(loopback, ports.history),
			primitives.MatchingService: hostPort(loopback, ports.matching),
			primitives.WorkerService:   hostPort(loopback, ports.worker),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynConfig),
	)...)
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	return srv, nil
}

// buildServerConfig returns the static server configuration. bindHost is the frontend
// bind host from --addr and dialHost the host clients use to reach it.
func buildServerConfig(bindHost, dialHost string, ports servicePorts, persistence config.Persistence) *config.Config {
	frontendAddr := net.JoinHostPort(dialHost, strconv.Itoa(ports.frontend))
	service := func(bindIP string, port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: bindIP}}
	}
	frontendBind := bindHost
	if frontendBind == "" {
		frontendBind = "0.0.0.0"
	}
	frontend := service(frontendBind, ports.frontend)
	frontend.RPC.HTTPPort = ports.frontendHTTP

	cfg := &config.Config{}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback}
	cfg.Persistence = persistence
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            net.JoinHostPort(dialHost, strconv.Itoa(ports.frontendHTTP)),
			},
		},
	}
	cfg.DCRedirectionPolicy = config.DCRedirectionPolicy{Policy: "noop"}
	cfg.Services = map[string]config.Service{
		string(primitives.FrontendService): frontend,
		string(primitives.HistoryService):  service(loopback, ports.history),
		string(primitives.MatchingService): service(loopback, ports.matching),
		string(primitives.WorkerService):   service(loopback, ports.worker),
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = frontendAddr
	return cfg
}

// checkListen reports whether a TCP listener can be opened on addr.
func checkListen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Err != nil {
			return opErr.Err
		}
		return err
	}
	return l.Close()
}

// freePorts returns n distinct TCP ports that are free on host right now.
func freePorts(host string, n int, avoid ...int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		if len(listeners) > n+64 {
			return nil, fmt.Errorf("no %d free ports outside %v", n, avoid)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l) // held until all are picked: no port twice
		if p := l.Addr().(*net.TCPAddr).Port; !slices.Contains(avoid, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}
