package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on Linux).
const clockTick = 10 * time.Millisecond

// CPUTime returns the user+system CPU time a process has used so far.
func CPUTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name, which is in parentheses and may contain spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * clockTick
}

// PostgresCPUTime returns the CPU time of every process named postgres (the server and all
// its backends, including those of other clients of the same server).
func PostgresCPUTime() time.Duration {
	var total time.Duration
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		total += CPUTime(pid)
	}
	return total
}

// Memory returns a process's resident set size and its peak (VmRSS, VmHWM) in bytes.
func Memory(pid int) (rss, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fs[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "VmHWM":
			peak = n * 1024
		}
	}
	return rss, peak
}

// machineBusy returns the busy and total CPU time of the whole machine (/proc/stat).
func machineBusy() (busy, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest times are already counted in user
			break
		}
		total += time.Duration(n) * clockTick
		if i != 3 && i != 4 { // idle, iowait
			busy += time.Duration(n) * clockTick
		}
	}
	return busy, total
}

// CPUSet measures the CPU use of named processes (and of PostgreSQL) over an interval.
type CPUSet struct {
	Pids map[string]int
	// PGPids, when set, lists the PostgreSQL backends to count (those of the run's own
	// databases); otherwise every process named postgres counts, other clients' included.
	PGPids    func() []int
	start     map[string]time.Duration
	at        time.Time
	busy, tot time.Duration
	pgSeen    map[int]time.Duration
}

// NewCPUSet watches the processes of pids ("postgres" is added: all its processes).
func NewCPUSet(pids map[string]int) *CPUSet { return &CPUSet{Pids: pids} }

func (c *CPUSet) sample() map[string]time.Duration {
	var m map[string]time.Duration
	if c.PGPids != nil {
		var t time.Duration
		for _, p := range c.PGPids() {
			if c.pgSeen == nil {
				c.pgSeen = map[int]time.Duration{}
			}
			v := CPUTime(p)
			c.pgSeen[p] = v
		}
		// Backends that exited keep their last reading.
		for _, v := range c.pgSeen {
			t += v
		}
		m = map[string]time.Duration{"postgres": t}
	} else {
		m = map[string]time.Duration{"postgres": PostgresCPUTime()}
	}
	for n, p := range c.Pids {
		m[n] = CPUTime(p)
	}
	return m
}

// Start begins an interval.
func (c *CPUSet) Start() {
	c.start, c.at = c.sample(), time.Now()
	c.busy, c.tot = machineBusy()
}

// Stop ends the interval and returns each process's CPU time in it.
func (c *CPUSet) Stop() CPUUse {
	end := c.sample()
	u := CPUUse{Wall: time.Since(c.at), By: map[string]time.Duration{}}
	b, t := machineBusy()
	if t > c.tot {
		u.MachineBusy = float64(b-c.busy) / float64(t-c.tot)
	}
	for n, v := range end {
		u.By[n] = v - c.start[n]
	}
	return u
}

// CPUUse is the CPU time of each watched process over an interval.
type CPUUse struct {
	Wall time.Duration
	By   map[string]time.Duration
	// MachineBusy is the busy share of all CPUs over the interval, all processes included
	// (other work on the machine shows as the difference to ours).
	MachineBusy float64
}

// Total is the CPU time of all watched processes.
func (u CPUUse) Total() time.Duration {
	var t time.Duration
	for _, v := range u.By {
		t += v
	}
	return t
}

// PerOp formats each process's CPU milliseconds per operation, largest first.
func (u CPUUse) PerOp(ops int) string {
	if ops == 0 {
		return ""
	}
	names := make([]string, 0, len(u.By))
	for n := range u.By {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return u.By[names[i]] > u.By[names[j]] })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", n, float64(u.By[n].Microseconds())/1000/float64(ops)))
	}
	return fmt.Sprintf("CPU ms/op: %s (total %.2f); these processes kept %.0f%% of %d CPUs busy, the whole machine %.0f%%",
		strings.Join(parts, ", "), float64(u.Total().Microseconds())/1000/float64(ops),
		100*u.Total().Seconds()/u.Wall.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU(), 100*u.MachineBusy)
}

// WaitQuiet waits until the watched processes together use under 5 % of one core over a
// second (the previous step's asynchronous work, such as similarity activities and plan
// signals, has drained), or max passes. It returns how long it waited.
func (c *CPUSet) WaitQuiet(max time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < max {
		var before time.Duration
		for n, p := range c.Pids {
			if n != "bench" {
				before += CPUTime(p)
			}
		}
		time.Sleep(time.Second)
		var after time.Duration
		for n, p := range c.Pids {
			if n != "bench" {
				after += CPUTime(p)
			}
		}
		if after-before < 50*time.Millisecond {
			break
		}
	}
	return time.Since(start)
}
