//go:build linux

package bench

import "syscall"

// procAttr puts a stack process in its own process group (Kill ends it and its children) and
// asks the kernel to send it SIGTERM when the bench dies, killed or not, so that no worker or
// gateway outlives a SIGKILLed bench (the devserver also ends on stdin's close).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
