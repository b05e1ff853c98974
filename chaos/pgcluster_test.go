package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"egovpm/internal/store"
	"egovpm/internal/testenv"
)

// pgCluster is a PostgreSQL cluster of the fault test's own: initdb'd in a temporary directory
// and served on a free loopback port, so that the test may crash and restart it without
// touching the shared server on 127.0.0.1:5432 that other test packages use. Run as root, its
// programs run as the postgres user (PostgreSQL refuses to run as root) and the directory
// belongs to that user.
type pgCluster struct {
	bin     string // directory of initdb and postgres
	base    string // the cluster's directory: data/ beneath
	logDir  string // where each postmaster's log goes (postgres-NN.log)
	port    int
	cred    *syscall.Credential // nil when not root
	started int

	mu   sync.Mutex
	proc *exec.Cmd
	done chan error
}

// pgBinDir finds the PostgreSQL server programs: CHAOS_PG_BIN, else the newest
// /usr/lib/postgresql/*/bin (Debian's layout), else the directory of initdb on PATH.
func pgBinDir() (string, error) {
	if d := os.Getenv("CHAOS_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server programs (initdb, postgres): install postgresql, or set CHAOS_PG_BIN")
}

// newPGCluster initdb's a cluster and starts it; logDir receives its logs.
func newPGCluster(ctx context.Context, logDir string) (*pgCluster, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	c := &pgCluster{bin: bin, logDir: logDir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, the cluster needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if c.base, err = os.MkdirTemp("", "egovpm-chaos-pg-"); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.base, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return c, err
		}
	}
	addr, err := testenv.FreeAddr()
	if err != nil {
		return c, err
	}
	_, p, _ := net.SplitHostPort(addr)
	c.port, _ = strconv.Atoi(p)

	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return c, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return c, c.start(ctx)
}

func (c *pgCluster) data() string { return filepath.Join(c.base, "data") }

// serverURL is the URL of the cluster's postgres database (as bench.PGServerURL).
func (c *pgCluster) serverURL() string {
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(c.port),
		Path: "/postgres", RawQuery: "sslmode=disable"}).String()
}

// start runs the postmaster (a crash recovery first, after a crash) and waits until it takes
// connections.
func (c *pgCluster) start(ctx context.Context) error {
	c.started++
	logf, err := os.Create(filepath.Join(c.logDir, fmt.Sprintf("postgres-%02d.log", c.started)))
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	// Enough connections for the gateway's two pools, the worker's, the devserver's (postgres
	// store) and the test's own, also while a killed process's sessions are being torn down.
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.data(), "-p", strconv.Itoa(c.port),
		"-k", c.data(), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300",
		"-c", "log_min_messages=warning", "-c", "log_line_prefix=%m [%p] ")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	c.mu.Lock()
	c.proc, c.done = cmd, done
	c.mu.Unlock()

	deadline := time.Now().Add(2 * time.Minute)
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		db, err := store.Open(pctx, c.serverURL())
		if err == nil {
			err = db.PingContext(pctx)
			_ = db.Close()
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-done:
			done <- werr
			return fmt.Errorf("postgres exited before it took connections (%v); see %s", werr, logf.Name())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("postgres not ready after 2m: %v; see %s", err, logf.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// crash stops the cluster as a crash does: SIGQUIT to the postmaster, PostgreSQL's immediate
// shutdown (pg_ctl stop -m immediate), which ends every backend at once without a checkpoint;
// the next start replays the WAL. It waits until the postmaster has exited.
func (c *pgCluster) crash() error {
	return c.signal(syscall.SIGQUIT, time.Minute)
}

// stop shuts the cluster down (fast: sessions ended, a checkpoint written).
func (c *pgCluster) stop() {
	if err := c.signal(syscall.SIGINT, 30*time.Second); err != nil {
		_ = c.signal(syscall.SIGQUIT, 30*time.Second)
	}
}

func (c *pgCluster) signal(sig syscall.Signal, wait time.Duration) error {
	c.mu.Lock()
	cmd, done := c.proc, c.done
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case err := <-done:
		done <- err
		return nil // exited already
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case err := <-done:
		done <- err
		return nil
	case <-time.After(wait):
		return fmt.Errorf("postgres did not exit within %s of %s", wait, sig)
	}
}

// exited reports whether the postmaster ended without being told to.
func (c *pgCluster) exited() (bool, error) {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	select {
	case err := <-done:
		done <- err
		return true, err
	default:
		return false, nil
	}
}

// remove stops the cluster and deletes its directory.
func (c *pgCluster) remove() {
	c.stop()
	if c.base != "" {
		_ = os.RemoveAll(c.base)
	}
}
