// Command egovpm is the administration CLI: schema migration, the demo seed, orgs, users,
// roles, TOTP enrolment, the audit chain check and the ops tools for stuck workflows (O1–O3).
//
//	egovpm migrate
//	egovpm seed-demo
//	egovpm create-org --id unit-c --name 市民政局 --kind unit
//	egovpm create-user --username carol --name 张三 --org unit-c --roles submitter --password-stdin < pw.txt
//	egovpm set-roles --username carol --roles submitter,expert
//	egovpm sod-report
//	egovpm disable-user --username carol [--enable]
//	egovpm unlock-user --username carol
//	egovpm enable-totp --username carol [--force]
//	egovpm audit-verify [--anchor FILE]
//	egovpm audit-checkpoint
//	egovpm mail-failures [--since 168h] [--limit 100]
//	egovpm ops-stuck [--min-attempts 3]
//	egovpm ops-reset --workflow project:p-… [--run RUN] [--event N] [--reason 回滚]
//	egovpm ops-retry --workflow project:p-… --activity 5
//	egovpm ops-replay [--live [--workflow project:p-…]...] [history.json...]
//	egovpm temporal-setup
//	egovpm ops-resolve --failure af-… --comment 已处理
//
// Configuration comes from the environment (internal/config). Every change a command makes
// is written to the audit log with actor "cli".
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"egovpm/internal/apperr"
	"egovpm/internal/audit"
	"egovpm/internal/auth"
	"egovpm/internal/authz"
	"egovpm/internal/config"
	"egovpm/internal/domain"
	"egovpm/internal/platform"
	"egovpm/internal/seed"
	"egovpm/internal/store"
	"egovpm/internal/text"
	"egovpm/schema"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "egovpm:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runArgs(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
}

// env is what a command may touch of the process, so that tests can run commands in-process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"migrate", "apply pending schema migrations and print the version", cmdMigrate},
		{"seed-demo", "seed the demo orgs and users (dev mode only)", cmdSeedDemo},
		{"create-org", "--id ID --name 名称 --kind unit|drb|ndrc|finance|crypto|prta|audit|citygov|expert|ops", cmdCreateOrg},
		{"create-user", "--username U --name 姓名 --org ORG --roles r1,r2 [--email ADDR] --password-stdin", cmdCreateUser},
		{"set-roles", "--username U --roles r1,r2 (replaces the user's roles)", cmdSetRoles},
		{"sod-report", "list users holding conflicting roles (separation of duties); exit status 1 while any does", cmdSoDReport},
		{"disable-user", "--username U [--enable]", cmdDisableUser},
		{"unlock-user", "--username U (clears failed logins and the lockout)", cmdUnlockUser},
		{"enable-totp", "--username U [--force] (prints the otpauth URL and secret)", cmdEnableTOTP},
		{"audit-verify", "[--anchor FILE] check the audit chain (and against its signed checkpoints); exit status 1 when it is broken", cmdAuditVerify},
		{"audit-checkpoint", "sign the audit chain's head into $DATA_DIR/" + audit.AnchorFile + " now (R18)", cmdAuditCheckpoint},
		{"mail-failures", "[--since 168h] [--limit 100] notifications the mail relay refused for good (T1–T4)", cmdMailFailures},
		{"set-holiday", "--date YYYY-MM-DD [--workday] [--name 名称] working-day override (T2, years after 2027)", cmdSetHoliday},
		{"ops-stuck", "[--min-attempts N] list stuck workflows with reasons (O1)", cmdOpsStuck},
		{"ops-reconcile", "[--settle D] audit resets, terminations and cancellations made outside egovpm since the last run (the worker runs it every EGOVPM_RECONCILE_EVERY)", cmdOpsReconcile},
		{"ops-reset", "--workflow ID [--run RUN] [--event N] [--reason R] reset to the last good workflow task (O2)", cmdOpsReset},
		{"ops-retry", "--workflow ID --activity ID [--reason R] retry a failing activity now (O2)", cmdOpsRetry},
		{"ops-replay", "[--live [--workflow ID]...] [history.json...] replay against this build; exit 1 on non-determinism (O3)", cmdOpsReplay},
		{"temporal-setup", "register the Temporal search attributes the workflows use (idempotent)", cmdTemporalSetup},
		{"ops-resolve", "--failure ID --comment C resolve an activity that gave up after its retries (O1)", cmdOpsResolve},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: egovpm <command> [flags]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.usage)
	}
}

func runArgs(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		usage(e.stderr)
		return errors.New("no command given")
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return nil
	}
	usage(e.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

// flags returns a FlagSet for command name that reports errors instead of exiting.
func flags(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	return nil
}

func loadConfig(e env) (config.Config, error) {
	cfg, err := config.Load(e.getenv)
	cfg.Component = "cli"
	return cfg, err
}

func cmdMigrate(ctx context.Context, e env, args []string) error {
	if err := parse(flags(e, "migrate"), args); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := schema.Migrate(ctx, db.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema at version %d\n", v)
	return nil
}

// withStore runs fn with a store over a database whose schema is current.
func withStore(ctx context.Context, e env, fn func(cfg config.Config, st *store.Store) error) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	st, err := platform.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(cfg, st)
}

func cmdSeedDemo(ctx context.Context, e env, args []string) error {
	if err := parse(flags(e, "seed-demo"), args); err != nil {
		return err
	}
	return withStore(ctx, e, func(cfg config.Config, st *store.Store) error {
		if cfg.Mode == config.ModeProduction {
			return errors.New("seed-demo: demo users are refused in production mode (EGOVPM_MODE=production)")
		}
		if err := seed.Demo(ctx, st, cfg.DemoPassword); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "demo seed: %d orgs, %d users present\n", len(seed.DemoOrgs), len(seed.DemoUsers))
		return nil
	})
}

var (
	orgIDPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,62}$`)
	orgKinds        = []string{"unit", "drb", "ndrc", "finance", "crypto", "prta", "audit", "citygov", "expert", "ops"}
)

// cliAudit writes the audit row of a CLI change in tx.
func cliAudit(ctx context.Context, st *store.Store, tx *store.Tx, e env, action, objectType, objectID string, detail map[string]any) error {
	return cliAuditOutcome(ctx, st, tx, e, action, objectType, objectID, "ok", detail)
}

func cliAuditOutcome(ctx context.Context, st *store.Store, tx *store.Tx, e env, action, objectType, objectID, outcome string, detail map[string]any) error {
	if u := e.getenv("USER"); u != "" {
		detail["os_user"] = u
	}
	return st.AppendAudit(ctx, tx, audit.Entry{ActorID: "cli", Action: action, ObjectType: objectType,
		ObjectID: objectID, Outcome: outcome, Detail: detail})
}

// checkRoles refuses a role set that holds a conflicting pair (authz.CheckRoles, separation
// of duties) for command cmd acting as action on user id, and records the refusal in the
// audit log (R18) before it returns it.
func checkRoles(ctx context.Context, st *store.Store, e env, cmd, action, id, username string, roles []string) error {
	err := authz.CheckRoles(roles)
	if err == nil {
		return nil
	}
	r, _ := domain.AsRefusal(err)
	if aerr := st.WithTx(ctx, func(tx *store.Tx) error {
		return cliAuditOutcome(ctx, st, tx, e, action, "user", id, "refused", map[string]any{"code": r.Code,
			"username": username, "roles": roles, "conflicts": r.Extra["conflicts"]})
	}); aerr != nil {
		return aerr
	}
	return fmt.Errorf("%s: %s: %s", cmd, r.Code, r.Message)
}

func cmdCreateOrg(ctx context.Context, e env, args []string) error {
	fs := flags(e, "create-org")
	id := fs.String("id", "", "org id (lowercase letters, digits, -)")
	name := fs.String("name", "", "org name")
	kind := fs.String("kind", "", "org kind: "+strings.Join(orgKinds, ", "))
	if err := parse(fs, args); err != nil {
		return err
	}
	bad := text.NameProblem(*name) != ""
	*name = text.Trim(*name)
	switch {
	case !orgIDPattern.MatchString(*id):
		return fmt.Errorf("create-org: --id must match %s", orgIDPattern)
	case bad || len([]rune(*name)) > 200:
		return errors.New("create-org: --name is required (at most 200 characters, no line breaks, control or invisible characters)")
	case !domain.Contains(orgKinds, *kind):
		return fmt.Errorf("create-org: --kind must be one of %s", strings.Join(orgKinds, ", "))
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		err := st.WithTx(ctx, func(tx *store.Tx) error {
			if err := st.CreateOrg(ctx, tx, &store.Org{ID: *id, Name: *name, Kind: *kind}); err != nil {
				return err
			}
			return cliAudit(ctx, st, tx, e, "org.create", "org", *id, map[string]any{"name": *name, "kind": *kind})
		})
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("create-org: org %q already exists", *id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "org %s created\n", *id)
		return nil
	})
}

// parseRoles splits a comma-separated role list and checks every role.
func parseRoles(s string) ([]string, error) {
	var roles []string
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !domain.Contains(domain.Roles, r) {
			return nil, fmt.Errorf("unknown role %q (roles: %s)", r, strings.Join(domain.Roles, ", "))
		}
		if !domain.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	return roles, nil
}

// readPassword reads the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// describe renders an *apperr.Error with its field errors for a terminal.
func describe(err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	msg := e.Message
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msg += fmt.Sprintf("; %s: %s", k, e.Fields[k])
	}
	return errors.New(msg)
}

func cmdCreateUser(ctx context.Context, e env, args []string) error {
	fs := flags(e, "create-user")
	username := fs.String("username", "", "login name (lowercase letters, digits, _ . -)")
	name := fs.String("name", "", "display name")
	org := fs.String("org", "", "org id")
	rolesFlag := fs.String("roles", "", "comma-separated roles: "+strings.Join(domain.Roles, ","))
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (required)")
	email := fs.String("email", "", "where the user's notifications are mailed (optional; the user can change it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	*email = strings.TrimSpace(*email)
	if *email != "" && text.EmailProblem(*email) != "" {
		return fmt.Errorf("create-user: --email %q is not an address a mail relay can take", *email)
	}
	bad := text.NameProblem(*name) != ""
	*name = text.Trim(*name)
	roles, err := parseRoles(*rolesFlag)
	switch {
	case !usernamePattern.MatchString(*username):
		return fmt.Errorf("create-user: --username must match %s", usernamePattern)
	case bad || len([]rune(*name)) > 100:
		return errors.New("create-user: --name is required (at most 100 characters, no line breaks, control or invisible characters)")
	case *org == "":
		return errors.New("create-user: --org is required")
	case err != nil:
		return fmt.Errorf("create-user: --roles: %w", err)
	case len(roles) == 0:
		return errors.New("create-user: --roles needs at least one role")
	case !*fromStdin:
		return errors.New("create-user: give the password on stdin with --password-stdin (never on the command line)")
	}
	password, err := readPassword(e.stdin)
	if err != nil {
		return err
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return fmt.Errorf("create-user: %w", describe(err))
	}
	hash, err := auth.HashPassword(password, auth.DefaultHashParams)
	if err != nil {
		return err
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		id := auth.UserID(*username)
		if err := checkRoles(ctx, st, e, "create-user", "user.create", id, *username, roles); err != nil {
			return err
		}
		if _, err := st.Org(ctx, *org); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("create-user: org %q does not exist (create it with create-org)", *org)
		} else if err != nil {
			return err
		}
		err := st.WithTx(ctx, func(tx *store.Tx) error {
			if err := st.CreateUser(ctx, tx, store.NewUser{ID: id, Username: *username, Name: *name, OrgID: *org,
				PasswordHash: hash, Roles: roles, Email: *email, MustChangePassword: true}); err != nil {
				return err
			}
			detail := map[string]any{"username": *username, "org_id": *org, "roles": roles}
			if *email != "" {
				detail["email"] = *email
			}
			return cliAudit(ctx, st, tx, e, "user.create", "user", id, detail)
		})
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("create-user: user %q already exists", *username)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %s created (id %s); the password is an initial one: the user must change it at first sign-in\n", *username, id)
		if auth.NeedsTOTP(roles) {
			fmt.Fprintf(e.stdout, "note: role(s) %s need TOTP in production mode: run `egovpm enable-totp --username %s`\n",
				strings.Join(roles, ","), *username)
		}
		return nil
	})
}

// lookupUser finds a user by username with a CLI-friendly error.
func lookupUser(ctx context.Context, st *store.Store, cmd, username string) (store.User, error) {
	u, err := st.UserByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("%s: no user %q", cmd, username)
	}
	return u, err
}

func cmdSetRoles(ctx context.Context, e env, args []string) error {
	fs := flags(e, "set-roles")
	username := fs.String("username", "", "login name")
	rolesFlag := fs.String("roles", "", "comma-separated roles (replace the current ones)")
	if err := parse(fs, args); err != nil {
		return err
	}
	roles, err := parseRoles(*rolesFlag)
	if err != nil {
		return fmt.Errorf("set-roles: --roles: %w", err)
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		u, err := lookupUser(ctx, st, "set-roles", *username)
		if err != nil {
			return err
		}
		if err := checkRoles(ctx, st, e, "set-roles", "user.set_roles", u.ID, u.Username, roles); err != nil {
			return err
		}
		if err := st.WithTx(ctx, func(tx *store.Tx) error {
			if err := st.SetUserRoles(ctx, tx, u.ID, roles); err != nil {
				return err
			}
			return cliAudit(ctx, st, tx, e, "user.set_roles", "user", u.ID,
				map[string]any{"before": []string(u.Roles), "after": roles})
		}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %s roles: %s\n", u.Username, strings.Join(roles, ","))
		return nil
	})
}

func cmdDisableUser(ctx context.Context, e env, args []string) error {
	fs := flags(e, "disable-user")
	username := fs.String("username", "", "login name")
	enable := fs.Bool("enable", false, "re-enable instead of disabling")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		u, err := lookupUser(ctx, st, "disable-user", *username)
		if err != nil {
			return err
		}
		action := "user.disable"
		if *enable {
			action = "user.enable"
		}
		if err := st.WithTx(ctx, func(tx *store.Tx) error {
			if !*enable && !u.Disabled {
				// As 用户管理's 停用: the supervisors hear of the open tasks left in the user's
				// hands (mailed by the mail sweep).
				if _, err := st.NotifyHolderDisabled(ctx, tx, fmt.Sprintf("disable-cli-%s-%d", u.ID, time.Now().UnixNano()), u.ID,
					u.Name+"（"+u.Username+"）"); err != nil {
					return err
				}
			}
			if err := st.SetUserDisabled(ctx, tx, u.ID, !*enable); err != nil {
				return err
			}
			return cliAudit(ctx, st, tx, e, action, "user", u.ID, map[string]any{})
		}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %s %sd\n", u.Username, strings.TrimPrefix(action, "user."))
		return nil
	})
}

func cmdUnlockUser(ctx context.Context, e env, args []string) error {
	fs := flags(e, "unlock-user")
	username := fs.String("username", "", "login name")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		u, err := lookupUser(ctx, st, "unlock-user", *username)
		if err != nil {
			return err
		}
		if err := st.WithTx(ctx, func(tx *store.Tx) error {
			if err := st.ResetLoginFailures(ctx, tx, u.ID); err != nil {
				return err
			}
			return cliAudit(ctx, st, tx, e, "user.unlock", "user", u.ID, map[string]any{})
		}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %s unlocked\n", u.Username)
		return nil
	})
}

func cmdEnableTOTP(ctx context.Context, e env, args []string) error {
	fs := flags(e, "enable-totp")
	username := fs.String("username", "", "login name")
	force := fs.Bool("force", false, "replace an existing TOTP secret (the old authenticator stops working)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		u, err := lookupUser(ctx, st, "enable-totp", *username)
		if err != nil {
			return err
		}
		if u.TOTPEnabled && !*force {
			return fmt.Errorf("enable-totp: user %q already has TOTP; use --force to replace it", u.Username)
		}
		key, err := auth.GenerateTOTP(u.Username)
		if err != nil {
			return err
		}
		if err := st.WithTx(ctx, func(tx *store.Tx) error {
			if err := st.SetTOTPSecret(ctx, tx, u.ID, key.Secret()); err != nil {
				return err
			}
			return cliAudit(ctx, st, tx, e, "user.enable_totp", "user", u.ID, map[string]any{"replaced": u.TOTPEnabled})
		}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "TOTP enabled for %s. Add it to the user's authenticator app:\n", u.Username)
		fmt.Fprintf(e.stdout, "otpauth URL: %s\n", key.URL())
		fmt.Fprintf(e.stdout, "secret: %s\n", key.Secret())
		return nil
	})
}

// cmdMailFailures lists, as JSON lines, the notifications whose address the mail relay refused
// for good (5xx to RCPT TO): the person, the address to correct and the relay's answer.
func cmdMailFailures(ctx context.Context, e env, args []string) error {
	fs := flags(e, "mail-failures")
	since := fs.Duration("since", 7*24*time.Hour, "how far back")
	limit := fs.Int("limit", 100, "at most this many, newest first (1–10000)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *since <= 0 {
		return fmt.Errorf("mail-failures: --since must be positive")
	}
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("mail-failures: --limit must be 1–10000")
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		fails, err := st.MailFailures(ctx, time.Now().Add(-*since), *limit)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, f := range fails {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	})
}

// cmdAuditCheckpoint signs the audit chain's head into the checkpoint file now (the gateway
// does every EGOVPM_AUDIT_CHECKPOINT_EVERY): before a backup, or from cron where no gateway
// runs.
func cmdAuditCheckpoint(ctx context.Context, e env, args []string) error {
	if err := parse(flags(e, "audit-checkpoint"), args); err != nil {
		return err
	}
	return withStore(ctx, e, func(cfg config.Config, st *store.Store) error {
		a, err := audit.OpenAnchor(cfg.DataDir)
		if err != nil {
			return err
		}
		cp, err := st.AuditCheckpoint(ctx)
		if err != nil {
			return err
		}
		if err := a.Write(cp); err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(cp)
	})
}

func cmdAuditVerify(ctx context.Context, e env, args []string) error {
	fs := flags(e, "audit-verify")
	file := fs.String("anchor", "", "checkpoint file to check the chain against (default: $DATA_DIR/"+audit.AnchorFile+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStore(ctx, e, func(cfg config.Config, st *store.Store) error {
		a := audit.AnchorAt(filepath.Join(cfg.DataDir, audit.AnchorFile))
		if *file != "" {
			a = audit.AnchorAt(*file)
		}
		res, err := st.VerifyAudit(ctx, a)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return err
		}
		if !res.OK {
			return fmt.Errorf("audit chain broken at seq %d: %s", res.Broken, res.Reason)
		}
		return nil
	})
}

// cmdSoDReport lists the users whose roles hold a conflicting pair (authz.ConflictingRoles):
// granted before the role check refused them, they keep the roles until an operator changes
// them (`egovpm set-roles`), and the act check refuses their conflicting acts meanwhile. One
// line per user: username, org, roles, the pairs; the exit status is 1 while any is left.
func cmdSoDReport(ctx context.Context, e env, args []string) error {
	if err := parse(flags(e, "sod-report"), args); err != nil {
		return err
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		n := 0
		cursor := ""
		for {
			users, next, err := st.ListUsers(ctx, store.UserFilter{Limit: 100, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, u := range users {
				cs := authz.Conflicts(u.Roles)
				if len(cs) == 0 {
					continue
				}
				if n == 0 {
					fmt.Fprintln(e.stdout, "username\torg\troles\tconflicting pairs")
				}
				n++
				pairs := make([]string, 0, len(cs))
				for _, c := range cs {
					pairs = append(pairs, c.A+"+"+c.B)
				}
				disabled := ""
				if u.Disabled {
					disabled = " (disabled)"
				}
				fmt.Fprintf(e.stdout, "%s%s\t%s\t%s\t%s\n", u.Username, disabled, u.OrgID, strings.Join(u.Roles, ","), strings.Join(pairs, " "))
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if n > 0 {
			return fmt.Errorf("sod-report: %d user(s) hold conflicting roles; change them with `egovpm set-roles` (docs/AUTHZ.md)", n)
		}
		fmt.Fprintln(e.stdout, "no user holds conflicting roles")
		return nil
	})
}
