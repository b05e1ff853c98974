//go:build !linux

package bench

import "syscall"

// procAttr puts a stack process in its own process group. Only Linux has a parent-death
// signal: elsewhere a SIGKILLed bench leaves its worker and gateway running.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
