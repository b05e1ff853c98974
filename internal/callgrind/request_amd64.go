package callgrind

//go:noescape
func clientRequest(args *[6]uintptr) uintptr
