package config

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// These tests read docker-compose.yml and Dockerfile as files: they need no Docker engine
// and never call the docker CLI.

const (
	composePath    = "../../docker-compose.yml"
	dockerfilePath = "../../Dockerfile"
	// devserverNamespace holds the custom search attributes the dev server registers;
	// compose's Temporal must register the same set (egovpm temporal-setup, whose list is
	// platformSearchAttrs).
	devserverNamespace  = "../../devserver/namespace.go"
	platformSearchAttrs = "../../internal/platform/searchattrs.go"
	// devserverGoMod pins the Temporal server the tests run; compose runs the same version.
	devserverGoMod = "../../devserver/go.mod"
)

// appServices run the egovpm image and are configured through config.Load.
var appServices = []string{"migrate", "temporal-setup", "worker", "server"}

// infraEnv lists, per infrastructure service, the environment variables its image
// documents (postgres image; temporalio/auto-setup's entrypoint.sh and auto-setup.sh;
// temporalio/ui; the temporal CLI in temporalio/admin-tools).
var infraEnv = map[string][]string{
	"postgres": {
		"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_INITDB_ARGS",
		"POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "PGDATA",
	},
	"temporal": {
		"DB", "DB_PORT", "DBNAME", "VISIBILITY_DBNAME", "POSTGRES_SEEDS", "POSTGRES_USER",
		"POSTGRES_PWD", "POSTGRES_TLS_ENABLED", "POSTGRES_TLS_DISABLE_HOST_VERIFICATION",
		"POSTGRES_TLS_CERT_FILE", "POSTGRES_TLS_KEY_FILE", "POSTGRES_TLS_CA_FILE",
		"POSTGRES_TLS_SERVER_NAME", "BIND_ON_IP", "TEMPORAL_BROADCAST_ADDRESS", "DYNAMIC_CONFIG_FILE_PATH",
		"LOG_LEVEL", "NUM_HISTORY_SHARDS", "SERVICES", "PROMETHEUS_ENDPOINT",
	},
	// temporal-sql-tool reads its connection from SQL_* (admin-tools).
	"temporal-schema":    {"SQL_PLUGIN", "SQL_HOST", "SQL_PORT", "SQL_USER", "SQL_PASSWORD", "SQL_DATABASE"},
	"temporal-namespace": {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"},
	"proxy":              {},
	"prometheus":         {},
	"grafana":            {"GF_SECURITY_ADMIN_PASSWORD", "GF_USERS_ALLOW_SIGN_UP", "GF_SERVER_ROOT_URL"},
	"backup":             {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "DATA_DIR", "EGOVPM_DB", "TEMPORAL_DB", "TEMPORAL_VISIBILITY_DB"},
	"temporal-ui": {
		"TEMPORAL_ADDRESS", "TEMPORAL_UI_PORT", "TEMPORAL_DEFAULT_NAMESPACE",
		"TEMPORAL_CORS_ORIGINS", "TEMPORAL_UI_PUBLIC_PATH", "TEMPORAL_AUTH_ENABLED",
		"TEMPORAL_CSRF_COOKIE_INSECURE", "TEMPORAL_DISABLE_WRITE_ACTIONS",
	},
}

// operatorSecrets must come from the operator (${NAME:?...}), never from the file.
var operatorSecrets = []string{"EGOVPM_TOKEN_SECRET", "EGOVPM_AUDIT_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string           `yaml:"image"`
	Build       any              `yaml:"build"`
	Command     stringOrList     `yaml:"command"`
	Entrypoint  stringOrList     `yaml:"entrypoint"`
	Restart     string           `yaml:"restart"`
	Environment composeEnv       `yaml:"environment"`
	Ports       []composePort    `yaml:"ports"`
	Volumes     []composeVolume  `yaml:"volumes"`
	DependsOn   composeDependsOn `yaml:"depends_on"`
	Healthcheck map[string]any   `yaml:"healthcheck"`
	Logging     *composeLogging  `yaml:"logging"`
	Profiles    []string         `yaml:"profiles"`
}

// composeLogging is a service's logging driver and its options.
type composeLogging struct {
	Driver  string            `yaml:"driver"`
	Options map[string]string `yaml:"options"`
}

// stringOrList is a compose command or entrypoint: a list, or one string split on spaces.
type stringOrList []string

func (s *stringOrList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = strings.Fields(n.Value)
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// composeEnv is an environment block: a mapping (merge keys resolved by yaml.v3) or a
// list of KEY=VALUE. A key without a value (passed through from the host) maps to nil.
type composeEnv map[string]*string

func (e *composeEnv) UnmarshalYAML(n *yaml.Node) error {
	out := composeEnv{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, ok := strings.Cut(kv, "=")
			if _, dup := out[k]; dup {
				return fmt.Errorf("environment: %s given twice", k)
			}
			if ok {
				out[k] = &v
			} else {
				out[k] = nil
			}
		}
		*e = out
		return nil
	}
	m := map[string]*string{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		out[k] = v
	}
	*e = out
	return nil
}

// composePort is the container side of a port mapping, short ("[ip:]host:container[/proto]")
// or long ({target: ...}) syntax.
type composePort struct {
	Spec      string
	Target    string
	Published string
}

func (p *composePort) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		p.Spec = n.Value
		spec, _, _ := strings.Cut(n.Value, "/")
		parts := strings.Split(spec, ":")
		p.Target = parts[len(parts)-1]
		if len(parts) > 1 {
			p.Published = parts[len(parts)-2]
		}
		return nil
	}
	var long struct {
		Target    string `yaml:"target"`
		Published string `yaml:"published"`
	}
	if err := n.Decode(&long); err != nil {
		return err
	}
	p.Spec, p.Target, p.Published = fmt.Sprintf("%+v", long), long.Target, long.Published
	return nil
}

// composeVolume is a mount, short ("source:target[:mode]") or long syntax.
type composeVolume struct {
	Source string
	Target string
}

func (v *composeVolume) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		parts := strings.Split(n.Value, ":")
		if len(parts) == 1 {
			v.Target = parts[0]
			return nil
		}
		v.Source, v.Target = parts[0], parts[1]
		return nil
	}
	var long struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	}
	if err := n.Decode(&long); err != nil {
		return err
	}
	v.Source, v.Target = long.Source, long.Target
	return nil
}

// composeDependsOn maps a service to its condition; the list form means service_started.
type composeDependsOn map[string]string

func (d *composeDependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := composeDependsOn{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, s := range l {
			out[s] = "service_started"
		}
		*d = out
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for s, c := range m {
		if c.Condition == "" {
			c.Condition = "service_started"
		}
		out[s] = c.Condition
	}
	*d = out
	return nil
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(composePath)
	require.NoError(t, err)
	var f composeFile
	require.NoError(t, yaml.Unmarshal(b, &f), "docker-compose.yml must parse")
	require.NotEmpty(t, f.Services)
	return f
}

// interpolation matches compose's $$, ${NAME}, ${NAME:-default}, ${NAME-default},
// ${NAME:?message}, ${NAME?message} and $NAME.
var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// operatorValue stands in for a value the operator must set: 40 URL-safe characters,
// distinct per variable, never a config default.
func operatorValue(name string) string {
	return (strings.ToLower(name) + "-" + strings.Repeat("x", 40))[:40]
}

// interpolate resolves compose variables as a deployment would: required variables
// (${NAME:?...}) become operator-set dummies, defaults apply, $$ is a literal $.
// A variable with neither a default nor a requirement is an error: it would silently be
// empty if the operator forgot it.
func interpolate(s string) (string, error) {
	var err error
	out := interpolation.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := interpolation.FindStringSubmatch(m)
		name, op, arg := sub[1], sub[2], sub[3]
		switch {
		case op == ":?" || op == "?":
			return operatorValue(name)
		case op == ":-" || op == "-":
			return arg
		default:
			if name == "" {
				name = sub[4]
			}
			err = fmt.Errorf("%q: ${%s} has neither a default nor :? (required)", s, name)
			return ""
		}
	})
	return out, err
}

// resolvedEnv is a service's environment after interpolation.
func resolvedEnv(t *testing.T, svc string, env composeEnv) map[string]string {
	t.Helper()
	out := make(map[string]string, len(env))
	for k, v := range env {
		require.NotNilf(t, v, "%s: %s has no value (would be taken from the host)", svc, k)
		r, err := interpolate(*v)
		require.NoErrorf(t, err, "%s: %s", svc, k)
		out[k] = r
	}
	return out
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestComposeServicesAreExactlyTheDeployment(t *testing.T) {
	f := loadCompose(t)
	want := []string{"backup", "grafana", "migrate", "postgres", "prometheus", "proxy", "server", "temporal", "temporal-namespace",
		"temporal-schema", "temporal-setup", "temporal-ui", "worker"}
	require.Equal(t, want, keys(f.Services))

	for name, s := range f.Services {
		for dep := range s.DependsOn {
			require.Containsf(t, f.Services, dep, "%s depends on unknown service %s", name, dep)
		}
		for _, v := range s.Volumes {
			if v.Source != "" && !strings.HasPrefix(v.Source, ".") && !strings.HasPrefix(v.Source, "/") {
				require.Containsf(t, f.Volumes, v.Source, "%s mounts undeclared volume %s", name, v.Source)
			}
		}
	}
}

func TestComposeEnvKeysAreKnown(t *testing.T) {
	f := loadCompose(t)
	for name, s := range f.Services {
		t.Run(name, func(t *testing.T) {
			allowed, ok := infraEnv[name]
			if slices.Contains(appServices, name) {
				allowed, ok = Vars, true
			}
			require.Truef(t, ok, "no environment allow-list for service %s", name)
			for _, k := range keys(s.Environment) {
				require.Containsf(t, allowed, k, "%s: unknown environment variable %s", name, k)
			}
		})
	}
}

func TestComposeAppServicesLoadAsProduction(t *testing.T) {
	f := loadCompose(t)
	for _, name := range appServices {
		t.Run(name, func(t *testing.T) {
			s, ok := f.Services[name]
			require.True(t, ok)
			env := resolvedEnv(t, name, s.Environment)

			for _, k := range []string{"EGOVPM_MODE", "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
				require.Containsf(t, env, k, "%s must set %s", name, k)
			}
			for _, k := range []string{"EGOVPM_TOKEN_SECRET", "EGOVPM_AUDIT_KEY"} {
				require.Containsf(t, env, k, "%s must set %s", name, k)
				require.Regexpf(t, `^\$\{`+k+`:\?[^}]+\}$`, *s.Environment[k],
					"%s: %s must be ${%s:?message}, set by the operator", name, k, k)
			}

			c, err := Load(func(k string) string { return env[k] })
			require.NoError(t, err, "compose environment of %s must be a valid Config", name)
			require.Equal(t, ModeProduction, c.Mode)
			require.False(t, c.DemoSeed, "no demo users in production")
			require.Equal(t, operatorValue("EGOVPM_TOKEN_SECRET"), c.TokenSecret)
			require.Equal(t, operatorValue("EGOVPM_AUDIT_KEY"), c.AuditKey)

			// The Config reaches the other services by their compose names.
			u, err := url.Parse(c.DatabaseURL)
			require.NoError(t, err)
			require.Equal(t, "postgres", u.Hostname(), "DATABASE_URL host is the postgres service")
			require.Equal(t, "/egovpm", u.Path)
			pg := f.Services["postgres"].Environment
			require.NotNil(t, pg["POSTGRES_DB"])
			require.Equal(t, "egovpm", *pg["POSTGRES_DB"], "postgres creates the egovpm database")
			require.NotNil(t, pg["POSTGRES_USER"])
			require.Equal(t, *pg["POSTGRES_USER"], u.User.Username())
			pass, _ := u.User.Password()
			require.Equal(t, operatorValue("POSTGRES_PASSWORD"), pass, "DATABASE_URL uses the operator's POSTGRES_PASSWORD")

			host, port, err := net.SplitHostPort(c.TemporalAddress)
			require.NoError(t, err)
			require.Equal(t, "temporal", host)
			require.Equal(t, "7233", port)
			require.Equal(t, DefaultTemporalNamespace, c.TemporalNamespace, "temporal-namespace creates only the default namespace")
			require.Equal(t, DefaultTaskQueue, c.TaskQueue)
		})
	}
}

func TestComposeSecretsComeFromTheOperator(t *testing.T) {
	f := loadCompose(t)
	for name, s := range f.Services {
		for k, v := range s.Environment {
			if v == nil {
				continue
			}
			for _, m := range interpolation.FindAllStringSubmatch(*v, -1) {
				if slices.Contains(operatorSecrets, m[1]) {
					require.Equalf(t, ":?", m[2], "%s: %s uses ${%s} without :? (no defaults for secrets)", name, k, m[1])
				}
			}
			if slices.Contains(operatorSecrets, k) || k == "POSTGRES_PWD" || k == "SQL_PASSWORD" || k == "PGPASSWORD" {
				require.Regexpf(t, `^\$\{[A-Z_]+:\?[^}]+\}$`, *v, "%s: %s must be set by the operator", name, k)
			}
		}
	}
}

func TestComposeWorkerAndServerShareBackends(t *testing.T) {
	f := loadCompose(t)
	worker := resolvedEnv(t, "worker", f.Services["worker"].Environment)
	server := resolvedEnv(t, "server", f.Services["server"].Environment)
	for _, k := range []string{"EGOVPM_MODE", "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "DATA_DIR", "EGOVPM_TOKEN_SECRET", "EGOVPM_AUDIT_KEY", "EGOVPM_POLICY"} {
		require.Equalf(t, worker[k], server[k], "worker and server disagree on %s", k)
	}
	migrate := resolvedEnv(t, "migrate", f.Services["migrate"].Environment)
	require.Equal(t, server["DATABASE_URL"], migrate["DATABASE_URL"], "migrate must migrate the database the server uses")
}

// TestComposeTemporalUIIsReadOnly: the Web UI's write actions (terminate, reset, signal…)
// are off unless the operator turns them on (issue 21 item 5).
func TestComposeTemporalUIIsReadOnly(t *testing.T) {
	f := loadCompose(t)
	ui := resolvedEnv(t, "temporal-ui", f.Services["temporal-ui"].Environment)
	require.Equal(t, "true", ui["TEMPORAL_DISABLE_WRITE_ACTIONS"])
}

func TestComposeServerListensOnItsPublishedPort(t *testing.T) {
	f := loadCompose(t)
	s := f.Services["server"]
	env := resolvedEnv(t, "server", s.Environment)
	c, err := Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(c.HTTPAddr)
	require.NoError(t, err, "HTTP_ADDR must be host:port")
	require.Contains(t, []string{"", "0.0.0.0", "::"}, host, "in a container the server must listen on all interfaces")
	require.Len(t, s.Ports, 1)
	require.Equal(t, port, s.Ports[0].Target, "published container port %s vs HTTP_ADDR %s", s.Ports[0].Spec, c.HTTPAddr)

	// Documents and the audit checkpoints live in DATA_DIR: it must be a volume in every
	// service that reads them (the CLI's audit-verify runs in migrate).
	for _, name := range []string{"server", "worker", "migrate"} {
		mounted := slices.ContainsFunc(f.Services[name].Volumes, func(v composeVolume) bool { return v.Target == c.DataDir })
		require.Truef(t, mounted, "%s: DATA_DIR %s is not a volume", name, c.DataDir)
	}
}

func TestComposeStartOrder(t *testing.T) {
	f := loadCompose(t)
	tests := []struct {
		service string
		deps    map[string]string
		restart string
	}{
		{"temporal-schema", map[string]string{"postgres": "service_healthy"}, "no"},
		{"temporal", map[string]string{"temporal-schema": "service_completed_successfully"}, "unless-stopped"},
		{"temporal-namespace", map[string]string{"temporal": "service_healthy"}, "no"},
		{"temporal-setup", map[string]string{"temporal-namespace": "service_completed_successfully"}, "no"},
		{"migrate", map[string]string{"postgres": "service_healthy"}, "no"},
		{"worker", map[string]string{"migrate": "service_completed_successfully", "temporal-setup": "service_completed_successfully", "temporal": "service_healthy"}, "unless-stopped"},
		{"server", map[string]string{"migrate": "service_completed_successfully", "temporal-setup": "service_completed_successfully", "temporal": "service_healthy"}, "unless-stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := f.Services[tt.service]
			require.Equal(t, tt.deps, map[string]string(s.DependsOn))
			require.Equal(t, tt.restart, s.Restart)
		})
	}
	require.NotEmpty(t, f.Services["postgres"].Healthcheck, "temporal and migrate wait for postgres to be healthy")
}

// TestComposeRegistersTheDevserverSearchAttributes keeps compose's Temporal in step with
// the dev server: the temporal-setup service runs `egovpm temporal-setup`, whose list
// (internal/platform.SearchAttributes) is the dev server's, name for name and type for type.
func TestComposeRegistersTheDevserverSearchAttributes(t *testing.T) {
	decl := regexp.MustCompile(`"(\w+)":\s*enumspb\.INDEXED_VALUE_TYPE_([A-Z_]+)`)
	read := func(p string) map[string]string {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		m := map[string]string{}
		for _, x := range decl.FindAllStringSubmatch(string(src), -1) {
			m[x[1]] = x[2]
		}
		require.NotEmpty(t, m, "no search attributes found in %s", p)
		return m
	}
	require.Equal(t, read(devserverNamespace), read(platformSearchAttrs))
	setup := loadCompose(t).Services["temporal-setup"]
	require.Equal(t, stringOrList{"/egovpm", "temporal-setup"}, setup.Command)
}

// TestComposeRunsTheTestedTemporal: the Temporal server and admin-tools images are the
// server version devserver/go.mod pins (the one every test runs), with no auto-setup image;
// every service keeps its logs rotated (local driver, at least 6 GB per container: months at
// egovpm's log rate, docs/DEPLOY.md); Prometheus keeps 200 days and loads the alert rules;
// Grafana gets the provisioned dashboard; the proxy terminates TLS in front of the server.
func TestComposeRunsTheTestedTemporal(t *testing.T) {
	mod, err := os.ReadFile(devserverGoMod)
	require.NoError(t, err)
	m := regexp.MustCompile(`go\.temporal\.io/server v(\d+\.\d+\.\d+)`).FindSubmatch(mod)
	require.NotNil(t, m)
	version := string(m[1])
	f := loadCompose(t)
	require.Equal(t, "temporalio/server:"+version, f.Services["temporal"].Image)
	for _, name := range []string{"temporal-schema", "temporal-namespace"} {
		require.Equal(t, "temporalio/admin-tools:"+version, f.Services[name].Image)
	}
	for name, s := range f.Services {
		require.NotContainsf(t, s.Image, "auto-setup", "%s: temporalio/auto-setup is deprecated", name)
		require.NotNilf(t, s.Logging, "%s keeps no rotated logs", name)
		require.Equal(t, "local", s.Logging.Driver, name)
		require.Equal(t, "100m", s.Logging.Options["max-size"], name)
		require.Equal(t, "60", s.Logging.Options["max-file"], name)
	}
	prom := f.Services["prometheus"]
	require.Contains(t, prom.Command, "--storage.tsdb.retention.time=200d")
	targets := map[string]bool{}
	for _, v := range append(append([]composeVolume{}, prom.Volumes...), f.Services["grafana"].Volumes...) {
		targets[v.Source+" "+v.Target] = true
		if strings.HasPrefix(v.Source, "./") {
			_, err := os.Stat("../../" + v.Source)
			require.NoErrorf(t, err, "mounted file %s exists", v.Source)
		}
	}
	require.True(t, targets["./deploy/prometheus/alerts.yml /etc/prometheus/alerts.yml"])
	require.True(t, targets["./deploy/grafana/dashboards /var/lib/grafana/dashboards"])
	proxy := f.Services["proxy"]
	require.Contains(t, proxy.DependsOn, "server")
	ports := []string{}
	for _, p := range proxy.Ports {
		ports = append(ports, p.Target)
	}
	require.ElementsMatch(t, []string{"443", "80"}, ports)
	conf, err := os.ReadFile("../../deploy/nginx/egovpm.conf")
	require.NoError(t, err)
	require.Contains(t, string(conf), "listen 443 ssl")
	require.Contains(t, string(conf), "proxy_pass http://server:8080;")
	require.Equal(t, []string{"backup"}, f.Services["backup"].Profiles, "backup runs only when asked for")
	for _, name := range []string{"worker", "server"} {
		env := resolvedEnv(t, name, f.Services[name].Environment)
		require.NotEmptyf(t, env["EGOVPM_METRICS_ADDR"], "%s serves /metrics to prometheus", name)
	}
}

// dockerfile is what the compose check needs from the Dockerfile.
type dockerfile struct {
	buildLines []string        // RUN lines of the stages before the last
	finalFrom  string          // image of the last stage
	finalFiles map[string]bool // absolute paths the last stage copies in
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	fh, err := os.Open(dockerfilePath)
	require.NoError(t, err)
	defer fh.Close()

	// Join continuation lines, drop comments.
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(l, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	require.NoError(t, sc.Err())

	var stages [][]string
	for _, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			stages = append(stages, nil)
		}
		require.NotEmpty(t, stages, "Dockerfile: %q before the first FROM", l)
		stages[len(stages)-1] = append(stages[len(stages)-1], l)
	}
	require.GreaterOrEqual(t, len(stages), 2, "Dockerfile must be multi-stage")

	d := dockerfile{finalFiles: map[string]bool{}}
	for _, st := range stages[:len(stages)-1] {
		d.buildLines = append(d.buildLines, st...)
	}
	final := stages[len(stages)-1]
	d.finalFrom = strings.Fields(final[0])[1]
	for _, l := range final {
		fields := strings.Fields(l)
		if strings.ToUpper(fields[0]) != "COPY" {
			continue
		}
		var args []string
		for _, a := range fields[1:] {
			if !strings.HasPrefix(a, "--") {
				args = append(args, a)
			}
		}
		require.GreaterOrEqual(t, len(args), 2, "Dockerfile: %q", l)
		dest, srcs := args[len(args)-1], args[:len(args)-1]
		for _, src := range srcs {
			if strings.HasSuffix(dest, "/") {
				d.finalFiles[path.Join(dest, path.Base(src))] = true
			} else {
				d.finalFiles[dest] = true
			}
		}
	}
	return d
}

func TestDockerfileBuildsWhatComposeRuns(t *testing.T) {
	d := readDockerfile(t)
	build := strings.Join(d.buildLines, "\n")

	require.Regexp(t, `(?m)^FROM golang:1\.26\b`, build, "builder follows go.mod's go 1.26")
	require.Contains(t, build, "CGO_ENABLED=0", "static binaries for a distroless image")
	require.Contains(t, build, "-trimpath")
	for _, pkg := range []string{"./server", "./worker", "./cmd/egovpm"} {
		require.Regexpf(t, regexp.QuoteMeta(pkg)+`(\s|$)`, build, "Dockerfile must build %s", pkg)
		require.Truef(t, d.finalFiles["/"+path.Base(pkg)], "final stage must copy the %s binary to /%s", pkg, path.Base(pkg))
	}
	require.Contains(t, d.finalFrom, "nonroot", "the final image runs as a non-root user")

	f := loadCompose(t)
	var image string
	for _, name := range appServices {
		s := f.Services[name]
		require.NotEmptyf(t, s.Command, "%s needs a command (the image has no entrypoint)", name)
		require.Truef(t, d.finalFiles[s.Command[0]], "%s runs %s, which the Dockerfile's final stage does not copy", name, s.Command[0])
		require.Emptyf(t, s.Entrypoint, "%s: the image has no entrypoint to override", name)

		ctx := ""
		switch b := s.Build.(type) {
		case string:
			ctx = b
		case map[string]any:
			ctx, _ = b["context"].(string)
			if df, ok := b["dockerfile"].(string); ok {
				require.Equal(t, "Dockerfile", df)
			}
		}
		require.Equalf(t, ".", ctx, "%s is built from this repository's Dockerfile", name)
		if image == "" {
			image = s.Image
		}
		require.Equalf(t, image, s.Image, "%s must use the same image as the other app services", name)
	}
	require.Equal(t, "/egovpm", f.Services["migrate"].Command[0])
	require.Equal(t, "migrate", f.Services["migrate"].Command[1])
	require.Equal(t, "/worker", f.Services["worker"].Command[0])
	require.Equal(t, "/server", f.Services["server"].Command[0])
}

// TestComposeCheckIsStatic: the checks above need no Docker engine and no operator
// environment. If the docker CLI is installed it is left alone (`docker compose config`
// may need a daemon context, and secrets the test machine does not have).
func TestComposeCheckIsStatic(t *testing.T) {
	if p, err := exec.LookPath("docker"); err == nil {
		t.Logf("docker CLI at %s: not used, the compose checks read the files", p)
	}
	for _, k := range operatorSecrets {
		t.Setenv(k, "")
	}
	f := loadCompose(t)
	env := resolvedEnv(t, "server", f.Services["server"].Environment)
	require.Equal(t, operatorValue("EGOVPM_TOKEN_SECRET"), env["EGOVPM_TOKEN_SECRET"],
		"interpolation is the test's own, not the process environment's")

	v, err := interpolate("${UNSET_WITHOUT_DEFAULT}")
	require.Error(t, err, "a variable with neither default nor :? is refused")
	require.Empty(t, v)
	v, err = interpolate("a$${B:-c}")
	require.NoError(t, err)
	require.Equal(t, "a${B:-c}", v, "$$ is a literal dollar")
}
