//go:build linux

package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A process the bench starts ends when the bench is SIGKILLed (the kernel's parent-death
// signal): before, the worker and gateway of a killed bench ran on. The bench here is this test
// binary run again as TestStackProcessHelper, which starts `sleep` as a stack process, prints
// its pid and waits to be killed.
func TestStackProcessDiesWithTheBench(t *testing.T) {
	helper := exec.Command(os.Args[0], "-test.run=^TestStackProcessHelper$", "-test.count=1")
	helper.Env = append(os.Environ(), "EGOVPM_BENCH_PROC_HELPER="+t.TempDir())
	out, err := helper.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, helper.Start())
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
	sc := bufio.NewScanner(out)
	pid := 0
	for pid == 0 && sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "stack-pid "); ok {
			pid, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	require.NotZero(t, pid, "the helper printed its stack process's pid")
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	require.True(t, alive(pid), "the stack process runs while the bench does")

	require.NoError(t, helper.Process.Signal(syscall.SIGKILL))
	_ = helper.Wait()
	require.Eventually(t, func() bool { return !alive(pid) }, 10*time.Second, 50*time.Millisecond,
		"the stack process %d outlived the SIGKILLed bench", pid)
}

// TestStackProcessHelper is the bench of the test above; it does nothing in a normal run.
func TestStackProcessHelper(t *testing.T) {
	dir := os.Getenv("EGOVPM_BENCH_PROC_HELPER")
	if dir == "" {
		return
	}
	p, err := startProc(context.Background(), dir, "sleeper", "sleep", []string{"300"}, nil, "", time.Second)
	require.NoError(t, err)
	_, _ = os.Stdout.WriteString("stack-pid " + strconv.Itoa(p.Pid()) + "\n")
	time.Sleep(5 * time.Minute)
}

// alive tells whether pid runs: it exists and is not a zombie (a container's init may not
// reap an orphan at once).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}
