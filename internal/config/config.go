// Package config loads the one Config of every egovpm process from the environment.
//
// Only main packages call Load; everything else receives the values it needs.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Mode is the deployment mode: dev allows demo users, default secrets and test policies;
// production refuses them.
type Mode string

// The deployment modes.
const (
	ModeDev        Mode = "dev"
	ModeProduction Mode = "production"
)

// Default values. They are exported so that tests (and the docker-compose check) can compare
// against them instead of repeating literals.
const (
	DefaultDatabaseURL       = "postgres://postgres@127.0.0.1:5432/egovpm?sslmode=disable"
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
	DefaultTaskQueue         = "egovpm"
	DefaultHTTPAddr          = "127.0.0.1:8080"
	DefaultDataDir           = ".data"
	DefaultLogLevel          = "info"
	DefaultPolicy            = "2021"
	DefaultDemoPassword      = "demo-Passw0rd"
	DefaultTokenSecret       = "dev-only-token-secret-change-me"
	DefaultAuditKey          = "dev-only-audit-key-change-me"
	DefaultMaxUploadBytes    = 50 << 20

	// The default /metrics addresses of each process (EGOVPM_METRICS_ADDR unset), loopback.
	DefaultGatewayMetricsAddr = "127.0.0.1:9464"
	DefaultWorkerMetricsAddr  = "127.0.0.1:9465"
	// MetricsOff is the EGOVPM_METRICS_ADDR value that serves no /metrics.
	MetricsOff = "off"
	// DefaultLongPoll is the Temporal server's matching.longPollExpirationInterval default.
	DefaultLongPoll = time.Minute
)

// Config is every setting of the worker, the server and the CLI.
type Config struct {
	Mode              Mode
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string
	HTTPAddr          string
	DataDir           string
	LogLevel          string
	Policy            string
	DemoSeed          bool
	DemoPassword      string
	TokenSecret       string
	TokenTTL          time.Duration
	AuditKey          string
	MaxUploadBytes    int64
	LoginMaxFailures  int
	LoginLockout      time.Duration
	// DecisionBurst and DecisionEvery rate-limit workflow-driving requests per user.
	DecisionBurst int
	DecisionEvery time.Duration
	// PprofAddr, when set, serves net/http/pprof on that loopback address (profiling the
	// gateway and the worker). Empty: off.
	PprofAddr string
	// WorkflowCache is the worker's sticky cache size (workflows kept in memory between their
	// events). An evicted workflow is rebuilt from its history at its next event, so this
	// bounds memory, not how many workflows may be open.
	WorkflowCache int
	// DBMaxConns caps the PostgreSQL connections of one process's main pool; as many stay open
	// idle, so a burst of requests does not open and close sessions. The gateway adds an inbox pool of half as many, at least 2 (store.OpenInbox).
	DBMaxConns int
	// TemporalCompression is the gRPC compression of requests to Temporal: "none" (default)
	// or "gzip" (the SDK's own default). On the loopback or a data-centre LAN gzip only costs
	// CPU, on both sides — the Temporal server answers a gzipped request with a gzipped
	// reply. gzip is for a Temporal reached over a slow link.
	TemporalCompression string
	// AuditCheckpointEvery is how often the gateway signs the audit chain's head into the
	// checkpoint file under DataDir and the log (R18, docs/AUDIT.md); a truncation of rows
	// newer than the last checkpoint cannot be seen.
	AuditCheckpointEvery time.Duration
	// SMTPAddr (host:port) and SMTPFrom turn on mail delivery of notifications; empty logs them.
	SMTPAddr string
	SMTPFrom string
	// MailDir (NOTIFY_MAIL_DIR), without SMTPAddr: each mail is written to a file there
	// instead of the log (notify.DirSender), an outbox for development and the browser tests.
	MailDir string
	// NotifyLinkBase is the web UI's address as people reach it (NOTIFY_LINK_BASE, e.g.
	// https://zwxm.luan.gov.cn): each mailed notification ends with a link into it (its
	// project's page, else the 首页). Empty: mails carry no link.
	NotifyLinkBase string
	// MetricsAddr is EGOVPM_METRICS_ADDR as set: empty for the process's loopback default,
	// MetricsOff, or a host:port (in a container, 0.0.0.0:port on the private network the
	// Prometheus service scrapes). Read it through MetricsListen.
	MetricsAddr string
	// LongPoll is the Temporal server's long-poll time (matching.longPollExpirationInterval):
	// /readyz counts a worker as live while its last poll of the task queue is within twice it.
	LongPoll time.Duration
	// OpsScanEvery is how often a worker serving metrics scans the stuck list (O1) and the
	// failed mails for their gauges; AuditVerifyEvery how often it verifies the audit chain.
	OpsScanEvery     time.Duration
	AuditVerifyEvery time.Duration
	// ReconcileEvery is how often the worker looks for resets and terminations made outside
	// egovpm (the Temporal Web UI, the temporal CLI) and writes their audit rows
	// (ops.Service.Reconcile, docs/AUDIT.md).
	ReconcileEvery time.Duration
	// Component names the process in its Temporal client identity ("gateway", "worker",
	// "cli"; platform.Identity). Each main sets it; it is not read from the environment.
	Component string
	// TemporalTLS turns on TLS to Temporal (with the system's roots unless TemporalCAFile);
	// TemporalCertFile and TemporalKeyFile add a client certificate (mTLS); TemporalServerName
	// overrides the name checked in the server's certificate. Any file implies TLS.
	TemporalTLS        bool
	TemporalCAFile     string
	TemporalCertFile   string
	TemporalKeyFile    string
	TemporalServerName string
	// TemporalUIURL is the base URL of the Temporal Web UI as an operator's browser reaches it
	// (the ops screen links each workflow's page there); empty: no link.
	TemporalUIURL string
	// TemporalAPIKey is sent as a bearer token with every call (Temporal Cloud, or a cluster
	// with an API-key authorizer); it needs TLS.
	TemporalAPIKey string
}

// MetricsListen is the address the process serves /metrics on: def (its loopback default)
// when EGOVPM_METRICS_ADDR is unset, "" when it is "off".
func (c Config) MetricsListen(def string) string {
	switch c.MetricsAddr {
	case "":
		return def
	case MetricsOff:
		return ""
	}
	return c.MetricsAddr
}

// Vars lists every environment variable Load reads, for documentation and for the
// docker-compose consistency test.
var Vars = []string{
	"EGOVPM_MODE", "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE",
	"HTTP_ADDR", "DATA_DIR", "LOG_LEVEL", "EGOVPM_POLICY", "EGOVPM_DEMO_SEED", "EGOVPM_DEMO_PASSWORD",
	"EGOVPM_TOKEN_SECRET", "EGOVPM_TOKEN_TTL", "EGOVPM_AUDIT_KEY", "EGOVPM_MAX_UPLOAD_BYTES",
	"EGOVPM_LOGIN_MAX_FAILURES", "EGOVPM_LOGIN_LOCKOUT", "EGOVPM_DECISION_BURST", "EGOVPM_DECISION_EVERY",
	"NOTIFY_SMTP_ADDR", "NOTIFY_SMTP_FROM", "NOTIFY_MAIL_DIR", "NOTIFY_LINK_BASE", "DATABASE_MAX_CONNS", "EGOVPM_PPROF_ADDR",
	"EGOVPM_WORKFLOW_CACHE", "TEMPORAL_GRPC_COMPRESSION",
	"EGOVPM_METRICS_ADDR", "TEMPORAL_LONG_POLL_INTERVAL", "EGOVPM_OPS_SCAN_EVERY", "EGOVPM_AUDIT_VERIFY_EVERY",
	"EGOVPM_RECONCILE_EVERY",
	"TEMPORAL_TLS", "TEMPORAL_TLS_CA_FILE", "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE",
	"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY", "EGOVPM_AUDIT_CHECKPOINT_EVERY", "TEMPORAL_UI_URL",
}

// DefaultTemporalUIURL is the Web UI of the devserver and of the compose deployment's
// temporal-ui service (published on the host's loopback).
const DefaultTemporalUIURL = "http://127.0.0.1:8233"

// Load builds a Config from getenv (os.Getenv in main), applying defaults and failing fast
// with an error that names the bad variable.
func Load(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Mode:                Mode(get("EGOVPM_MODE", string(ModeDev))),
		DatabaseURL:         get("DATABASE_URL", DefaultDatabaseURL),
		TemporalAddress:     get("TEMPORAL_ADDRESS", DefaultTemporalAddress),
		TemporalNamespace:   get("TEMPORAL_NAMESPACE", DefaultTemporalNamespace),
		TaskQueue:           get("TEMPORAL_TASK_QUEUE", DefaultTaskQueue),
		TemporalCompression: get("TEMPORAL_GRPC_COMPRESSION", "none"),
		HTTPAddr:            get("HTTP_ADDR", DefaultHTTPAddr),
		DataDir:             get("DATA_DIR", DefaultDataDir),
		LogLevel:            get("LOG_LEVEL", DefaultLogLevel),
		Policy:              get("EGOVPM_POLICY", DefaultPolicy),
		DemoPassword:        get("EGOVPM_DEMO_PASSWORD", DefaultDemoPassword),
		TokenSecret:         get("EGOVPM_TOKEN_SECRET", DefaultTokenSecret),
		AuditKey:            get("EGOVPM_AUDIT_KEY", DefaultAuditKey),
	}
	for _, step := range []func() error{
		func() error { return c.checkAddresses(get, getenv) },
		func() error { return c.loadNumbers(get) },
		func() error { return c.checkProduction(getenv) },
	} {
		if err := step(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkAddresses reads and checks the addresses, URLs and names of c.
func (c *Config) checkAddresses(get func(k, def string) string, getenv func(string) string) error {
	c.SMTPAddr, c.SMTPFrom = get("NOTIFY_SMTP_ADDR", ""), get("NOTIFY_SMTP_FROM", "")
	if c.SMTPAddr != "" {
		if _, _, serr := net.SplitHostPort(c.SMTPAddr); serr != nil {
			return fmt.Errorf("NOTIFY_SMTP_ADDR: want host:port, got %q", c.SMTPAddr)
		}
		if !strings.Contains(c.SMTPFrom, "@") {
			return fmt.Errorf("NOTIFY_SMTP_FROM: want a sender address with NOTIFY_SMTP_ADDR, got %q", c.SMTPFrom)
		}
	}
	c.MailDir = get("NOTIFY_MAIL_DIR", "")
	if c.MailDir != "" {
		if st, serr := os.Stat(c.MailDir); serr != nil || !st.IsDir() {
			return fmt.Errorf("NOTIFY_MAIL_DIR: want an existing directory, got %q", c.MailDir)
		}
	}
	c.NotifyLinkBase = strings.TrimRight(get("NOTIFY_LINK_BASE", ""), "/")
	if c.NotifyLinkBase != "" {
		u, perr := url.Parse(c.NotifyLinkBase)
		if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
			strings.ContainsAny(c.NotifyLinkBase, " \r\n") {
			return fmt.Errorf("NOTIFY_LINK_BASE: want the web UI's http(s):// address, got %q", c.NotifyLinkBase)
		}
	}
	if c.Mode != ModeDev && c.Mode != ModeProduction {
		return fmt.Errorf("EGOVPM_MODE: want %q or %q, got %q", ModeDev, ModeProduction, c.Mode)
	}
	if u, perr := url.Parse(c.DatabaseURL); perr != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("DATABASE_URL: want a postgres:// URL, got %q", c.DatabaseURL)
	}
	for k, v := range map[string]string{"TEMPORAL_ADDRESS": c.TemporalAddress, "HTTP_ADDR": c.HTTPAddr} {
		if _, _, serr := net.SplitHostPort(v); serr != nil {
			return fmt.Errorf("%s: want host:port, got %q", k, v)
		}
	}
	if c.PprofAddr = getenv("EGOVPM_PPROF_ADDR"); c.PprofAddr != "" {
		host, _, serr := net.SplitHostPort(c.PprofAddr)
		if ip := net.ParseIP(host); serr != nil || ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("EGOVPM_PPROF_ADDR: want a loopback host:port such as 127.0.0.1:6060, got %q", c.PprofAddr)
		}
	}
	if c.MetricsAddr = get("EGOVPM_METRICS_ADDR", ""); c.MetricsAddr != "" && c.MetricsAddr != MetricsOff {
		if _, port, serr := net.SplitHostPort(c.MetricsAddr); serr != nil || port == "" {
			return fmt.Errorf("EGOVPM_METRICS_ADDR: want host:port (127.0.0.1:9464) or off, got %q", c.MetricsAddr)
		}
	}
	switch c.TemporalUIURL = get("TEMPORAL_UI_URL", DefaultTemporalUIURL); c.TemporalUIURL {
	case "off":
		c.TemporalUIURL = ""
	default:
		u, perr := url.Parse(c.TemporalUIURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("TEMPORAL_UI_URL: want an http(s) URL such as %s, or off, got %q", DefaultTemporalUIURL, c.TemporalUIURL)
		}
		c.TemporalUIURL = strings.TrimRight(c.TemporalUIURL, "/")
	}
	if err := c.loadTemporalSecurity(get); err != nil {
		return err
	}
	if c.TemporalCompression != "none" && c.TemporalCompression != "gzip" {
		return fmt.Errorf("TEMPORAL_GRPC_COMPRESSION: want none or gzip, got %q", c.TemporalCompression)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel)
	}
	return nil
}

// loadNumbers reads the switches, sizes, limits and intervals of c.
func (c *Config) loadNumbers(get func(k, def string) string) error {
	var err error
	if c.DemoSeed, err = parseBool("EGOVPM_DEMO_SEED", get("EGOVPM_DEMO_SEED", "true")); err != nil {
		return err
	}
	if c.TokenTTL, err = parseDuration("EGOVPM_TOKEN_TTL", get("EGOVPM_TOKEN_TTL", "30m")); err != nil {
		return err
	}
	if c.LoginLockout, err = parseDuration("EGOVPM_LOGIN_LOCKOUT", get("EGOVPM_LOGIN_LOCKOUT", "15m")); err != nil {
		return err
	}
	if c.MaxUploadBytes, err = parseInt("EGOVPM_MAX_UPLOAD_BYTES", get("EGOVPM_MAX_UPLOAD_BYTES", strconv.Itoa(DefaultMaxUploadBytes))); err != nil {
		return err
	}
	n, err := parseInt("EGOVPM_LOGIN_MAX_FAILURES", get("EGOVPM_LOGIN_MAX_FAILURES", "5"))
	if err != nil {
		return err
	}
	c.LoginMaxFailures = int(n)
	if n, err = parseInt("EGOVPM_DECISION_BURST", get("EGOVPM_DECISION_BURST", "20")); err != nil {
		return err
	}
	c.DecisionBurst = int(n)
	if c.DecisionEvery, err = parseDuration("EGOVPM_DECISION_EVERY", get("EGOVPM_DECISION_EVERY", "200ms")); err != nil {
		return err
	}
	if c.AuditCheckpointEvery, err = parseDuration("EGOVPM_AUDIT_CHECKPOINT_EVERY", get("EGOVPM_AUDIT_CHECKPOINT_EVERY", "1m")); err != nil {
		return err
	}
	if c.AuditCheckpointEvery < time.Second {
		return fmt.Errorf("EGOVPM_AUDIT_CHECKPOINT_EVERY: want at least 1s, got %s", c.AuditCheckpointEvery)
	}
	if n, err = parseInt("DATABASE_MAX_CONNS", get("DATABASE_MAX_CONNS", "16")); err != nil {
		return err
	}
	if n < 1 || n > 1000 {
		return fmt.Errorf("DATABASE_MAX_CONNS: want 1..1000, got %d", n)
	}
	c.DBMaxConns = int(n)
	if n, err = parseInt("EGOVPM_WORKFLOW_CACHE", get("EGOVPM_WORKFLOW_CACHE", "2000")); err != nil {
		return err
	}
	if n < 1 || n > 1_000_000 {
		return fmt.Errorf("EGOVPM_WORKFLOW_CACHE: want 1..1000000, got %d", n)
	}
	c.WorkflowCache = int(n)
	for _, d := range []struct {
		name, def string
		dst       *time.Duration
	}{
		{"TEMPORAL_LONG_POLL_INTERVAL", DefaultLongPoll.String(), &c.LongPoll},
		{"EGOVPM_OPS_SCAN_EVERY", "5m", &c.OpsScanEvery},
		{"EGOVPM_AUDIT_VERIFY_EVERY", "1h", &c.AuditVerifyEvery},
		{"EGOVPM_RECONCILE_EVERY", "5m", &c.ReconcileEvery},
	} {
		if *d.dst, err = parseDuration(d.name, get(d.name, d.def)); err != nil {
			return err
		}
	}
	return nil
}

// checkProduction refuses in production mode the defaults and demo settings of development.
func (c *Config) checkProduction(getenv func(string) string) error {
	if c.Mode == ModeProduction {
		if c.TokenSecret == DefaultTokenSecret || len(c.TokenSecret) < 32 {
			return fmt.Errorf("EGOVPM_TOKEN_SECRET: production mode needs a secret of at least 32 characters, not the default")
		}
		if c.AuditKey == DefaultAuditKey || len(c.AuditKey) < 32 {
			return fmt.Errorf("EGOVPM_AUDIT_KEY: production mode needs a key of at least 32 characters, not the default")
		}
		if c.DemoSeed && getenv("EGOVPM_DEMO_SEED") != "" {
			return fmt.Errorf("EGOVPM_DEMO_SEED: demo users are refused in production mode")
		}
		c.DemoSeed = false
	}
	return nil
}

// loadTemporalSecurity reads the TLS and API key settings of the Temporal client.
func (c *Config) loadTemporalSecurity(get func(k, def string) string) error {
	var err error
	if c.TemporalTLS, err = parseBool("TEMPORAL_TLS", get("TEMPORAL_TLS", "false")); err != nil {
		return err
	}
	c.TemporalCAFile, c.TemporalServerName = get("TEMPORAL_TLS_CA_FILE", ""), get("TEMPORAL_TLS_SERVER_NAME", "")
	c.TemporalCertFile, c.TemporalKeyFile = get("TEMPORAL_TLS_CERT_FILE", ""), get("TEMPORAL_TLS_KEY_FILE", "")
	c.TemporalAPIKey = get("TEMPORAL_API_KEY", "")
	if (c.TemporalCertFile == "") != (c.TemporalKeyFile == "") {
		return fmt.Errorf("TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: set both for a client certificate (mTLS), or neither")
	}
	if c.TemporalCAFile != "" || c.TemporalCertFile != "" || c.TemporalServerName != "" {
		c.TemporalTLS = true
	}
	if c.TemporalAPIKey != "" && !c.TemporalTLS {
		return fmt.Errorf("TEMPORAL_API_KEY: an API key is sent only over TLS; set TEMPORAL_TLS=true (or a TEMPORAL_TLS_* file)")
	}
	return nil
}

func parseBool(name, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true/false/1/0, got %q", name, v)
	}
	return b, nil
}

func parseDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: want a positive duration like 30m, got %q", name, v)
	}
	return d, nil
}

func parseInt(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: want a positive integer, got %q", name, v)
	}
	return n, nil
}
