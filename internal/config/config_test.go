package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, ModeDev, c.Mode)
	require.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	require.Equal(t, DefaultTemporalAddress, c.TemporalAddress)
	require.Equal(t, DefaultHTTPAddr, c.HTTPAddr)
	require.Equal(t, "2021", c.Policy, "R19: the 2021 policy is in force unless configured")
	require.True(t, c.DemoSeed)
	require.Equal(t, 16, c.DBMaxConns)
	require.Equal(t, 2000, c.WorkflowCache)
	require.Equal(t, "none", c.TemporalCompression, "no gzip to Temporal on the LAN (docs/PERFORMANCE.md §1)")
	require.Equal(t, time.Minute, c.AuditCheckpointEvery)
	c, err = Load(env(map[string]string{"TEMPORAL_GRPC_COMPRESSION": "gzip"}))
	require.NoError(t, err)
	require.Equal(t, "gzip", c.TemporalCompression)
}

// TestTemporalUIURL: the ops screen's link to the Temporal Web UI defaults to the devserver's
// (and compose's) loopback address, takes another http(s) base, and "off" removes it.
func TestTemporalUIURL(t *testing.T) {
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultTemporalUIURL, c.TemporalUIURL)
	c, err = Load(env(map[string]string{"TEMPORAL_UI_URL": "https://temporal.example.gov.cn/ui/"}))
	require.NoError(t, err)
	require.Equal(t, "https://temporal.example.gov.cn/ui", c.TemporalUIURL)
	c, err = Load(env(map[string]string{"TEMPORAL_UI_URL": "off"}))
	require.NoError(t, err)
	require.Empty(t, c.TemporalUIURL)
	for _, bad := range []string{"ftp://x", "http://", "127.0.0.1:8233", "http://x/?q=1"} {
		_, err = Load(env(map[string]string{"TEMPORAL_UI_URL": bad}))
		require.ErrorContains(t, err, "TEMPORAL_UI_URL", bad)
	}
}

// TestLoadNamesTheBadVariable: every invalid value fails the start with the variable's name.
func TestLoadNamesTheBadVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"EGOVPM_MODE":                   {"EGOVPM_MODE": "staging"},
		"DATABASE_URL":                  {"DATABASE_URL": "mysql://x"},
		"TEMPORAL_ADDRESS":              {"TEMPORAL_ADDRESS": "no-port"},
		"HTTP_ADDR":                     {"HTTP_ADDR": "8080"},
		"LOG_LEVEL":                     {"LOG_LEVEL": "loud"},
		"EGOVPM_DEMO_SEED":              {"EGOVPM_DEMO_SEED": "maybe"},
		"EGOVPM_TOKEN_TTL":              {"EGOVPM_TOKEN_TTL": "-1m"},
		"EGOVPM_MAX_UPLOAD_BYTES":       {"EGOVPM_MAX_UPLOAD_BYTES": "lots"},
		"EGOVPM_LOGIN_MAX_FAILURES":     {"EGOVPM_LOGIN_MAX_FAILURES": "0"},
		"EGOVPM_TOKEN_SECRET":           {"EGOVPM_MODE": "production"},
		"DATABASE_MAX_CONNS":            {"DATABASE_MAX_CONNS": "0"},
		"EGOVPM_PPROF_ADDR":             {"EGOVPM_PPROF_ADDR": "0.0.0.0:6060"},
		"EGOVPM_WORKFLOW_CACHE":         {"EGOVPM_WORKFLOW_CACHE": "0"},
		"TEMPORAL_GRPC_COMPRESSION":     {"TEMPORAL_GRPC_COMPRESSION": "zstd"},
		"EGOVPM_AUDIT_CHECKPOINT_EVERY": {"EGOVPM_AUDIT_CHECKPOINT_EVERY": "10ms"},
		"TEMPORAL_UI_URL":               {"TEMPORAL_UI_URL": "javascript:alert(1)"},
		"NOTIFY_LINK_BASE":              {"NOTIFY_LINK_BASE": "zwxm.luan.gov.cn"},
		"NOTIFY_MAIL_DIR":               {"NOTIFY_MAIL_DIR": "/nonexistent/egovpm-mail"},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(m))
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), name+":"), err.Error())
		})
	}
}

// TestProductionRefusesDemoAndDefaults: production needs real secrets and never seeds demo users.
func TestProductionRefusesDemoAndDefaults(t *testing.T) {
	secret := strings.Repeat("s", 40)
	base := map[string]string{"EGOVPM_MODE": "production", "EGOVPM_TOKEN_SECRET": secret, "EGOVPM_AUDIT_KEY": secret}
	c, err := Load(env(base))
	require.NoError(t, err)
	require.False(t, c.DemoSeed)

	withSeed := map[string]string{"EGOVPM_DEMO_SEED": "1"}
	for k, v := range base {
		withSeed[k] = v
	}
	_, err = Load(env(withSeed))
	require.ErrorContains(t, err, "EGOVPM_DEMO_SEED")

	noAudit := map[string]string{"EGOVPM_MODE": "production", "EGOVPM_TOKEN_SECRET": secret}
	_, err = Load(env(noAudit))
	require.ErrorContains(t, err, "EGOVPM_AUDIT_KEY")
}

// TestMetricsAndTemporalSecurity: EGOVPM_METRICS_ADDR defaults to each process's loopback
// address and "off" turns it off; the Temporal TLS settings hang together (issue 21).
func TestMetricsAndTemporalSecurity(t *testing.T) {
	c, err := Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultGatewayMetricsAddr, c.MetricsListen(DefaultGatewayMetricsAddr))
	require.Equal(t, DefaultLongPoll, c.LongPoll)
	require.False(t, c.TemporalTLS)
	c, err = Load(env(map[string]string{"EGOVPM_METRICS_ADDR": "off"}))
	require.NoError(t, err)
	require.Empty(t, c.MetricsListen(DefaultWorkerMetricsAddr))
	c, err = Load(env(map[string]string{"EGOVPM_METRICS_ADDR": "0.0.0.0:9464"}))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9464", c.MetricsListen(DefaultWorkerMetricsAddr))
	_, err = Load(env(map[string]string{"EGOVPM_METRICS_ADDR": "9464"}))
	require.ErrorContains(t, err, "EGOVPM_METRICS_ADDR")

	c, err = Load(env(map[string]string{"TEMPORAL_TLS_CA_FILE": "/ca.pem"}))
	require.NoError(t, err)
	require.True(t, c.TemporalTLS, "a CA file implies TLS")
	_, err = Load(env(map[string]string{"TEMPORAL_TLS_CERT_FILE": "/c.pem"}))
	require.ErrorContains(t, err, "TEMPORAL_TLS_KEY_FILE")
	_, err = Load(env(map[string]string{"TEMPORAL_API_KEY": "k"}))
	require.ErrorContains(t, err, "TEMPORAL_API_KEY")
	c, err = Load(env(map[string]string{"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "true"}))
	require.NoError(t, err)
	require.Equal(t, "k", c.TemporalAPIKey)
	_, err = Load(env(map[string]string{"TEMPORAL_LONG_POLL_INTERVAL": "soon"}))
	require.ErrorContains(t, err, "TEMPORAL_LONG_POLL_INTERVAL")
}

// NOTIFY_LINK_BASE: the web UI's address for the links in mails, without a trailing slash;
// anything but an http(s) address without query or fragment is refused.
func TestNotifyLinkBase(t *testing.T) {
	c, err := Load(env(map[string]string{"NOTIFY_LINK_BASE": "https://zwxm.luan.gov.cn/"}))
	require.NoError(t, err)
	require.Equal(t, "https://zwxm.luan.gov.cn", c.NotifyLinkBase)
	for _, bad := range []string{"ftp://x.cn", "https://", "https://x.cn/?a=1", "https://x.cn/#top", "javascript:alert(1)"} {
		_, err := Load(env(map[string]string{"NOTIFY_LINK_BASE": bad}))
		require.Error(t, err, bad)
	}
}

// NOTIFY_MAIL_DIR is an existing directory (the mail of a machine with no relay goes there).
func TestMailDir(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(env(map[string]string{"NOTIFY_MAIL_DIR": dir}))
	require.NoError(t, err)
	require.Equal(t, dir, c.MailDir)
}
