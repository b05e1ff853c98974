// Package testenv starts the real parts integration tests run against: the embedded Temporal
// devserver (as a subprocess, built from devserver/ when needed) and PostgreSQL (internal/testdb).
// A part that cannot start fails the test; nothing is mocked and nothing skips.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Devserver is a running devserver subprocess.
type Devserver struct {
	Addr   string
	DBFile string
	cmd    *exec.Cmd
	done   chan error
	// stdin is the write end of the server's standard input, held until the test process
	// exits: the server runs with --stop-on-stdin-close, so a test process that is killed
	// (a timeout, ^C) takes its devserver with it instead of leaving it running.
	stdin io.WriteCloser
}

// RepoRoot returns the repository root (the directory holding go.mod of egovpm).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var buildOnce sync.Once
var buildErr error

// DevserverBinary returns the devserver binary, building it (into bin/, with the warm build
// cache) once per test process. EGOVPM_DEVSERVER_BIN overrides the path.
func DevserverBinary() (string, error) {
	if p := os.Getenv("EGOVPM_DEVSERVER_BIN"); p != "" {
		return p, nil
	}
	root := RepoRoot()
	bin := filepath.Join(root, "bin", "devserver")
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = filepath.Join(root, "devserver")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build devserver: %v\n%s", err, out)
		}
	})
	return bin, buildErr
}

// FreeAddr returns a free loopback address.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// StartDevserver starts a devserver on a free port with its database file in dir (a new file,
// or an existing one to test a restart) and waits until it is ready. extra flags are added to
// its command line (--metrics-addr, --search-attributes=false, --long-poll-interval); without
// a --metrics-addr it serves no metrics.
func StartDevserver(ctx context.Context, dir, addr string, extra ...string) (*Devserver, error) {
	bin, err := DevserverBinary()
	if err != nil {
		return nil, err
	}
	if addr == "" {
		if addr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	d := &Devserver{Addr: addr, DBFile: filepath.Join(dir, "temporal.db"), done: make(chan error, 1)}
	args := []string{"--addr", addr, "--db-file", d.DBFile, "--ui=false", "--log-level", "error", "--metrics-addr=",
		"--stop-on-stdin-close"}
	d.cmd = exec.Command(bin, append(args, extra...)...)
	// The server's own log goes to a file beside its database (read it when a test fails);
	// EGOVPM_TEST_LOG=1 shows it live.
	if os.Getenv("EGOVPM_TEST_LOG") != "" {
		d.cmd.Stderr = os.Stderr
	} else if f, err := os.Create(filepath.Join(dir, "devserver.log")); err == nil {
		d.cmd.Stderr = f
		defer f.Close()
	}
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start devserver: %w", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := false
		for sc.Scan() {
			if !once && strings.HasPrefix(sc.Text(), "devserver ready") {
				once = true
				close(ready)
			}
		}
	}()
	go func() { d.done <- d.cmd.Wait() }()
	timeout := time.NewTimer(90 * time.Second)
	defer timeout.Stop()
	select {
	case <-ready:
		return d, nil
	case err := <-d.done:
		return nil, fmt.Errorf("devserver exited before it was ready: %v", err)
	case <-timeout.C:
		d.Stop()
		return nil, fmt.Errorf("devserver not ready after 90s")
	case <-ctx.Done():
		d.Stop()
		return nil, ctx.Err()
	}
}

// Stop stops the devserver gracefully (SIGTERM, then SIGKILL after 20 s).
func (d *Devserver) Stop() {
	if d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}
