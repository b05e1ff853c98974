#include "textflag.h"

// func clientRequest(args *[6]uintptr) uintptr
// valgrind.h's VALGRIND_DO_CLIENT_REQUEST_EXPR for amd64: the request's arguments in RAX,
// the default result in RDX, the magic preamble (four rotations of RDI that add up to none)
// and xchg %rbx,%rbx. Natively it changes no register but RDI.
TEXT ·clientRequest(SB), NOSPLIT, $0-16
	MOVQ args+0(FP), AX
	MOVQ $0, DX
	ROLQ $3, DI
	ROLQ $13, DI
	ROLQ $61, DI
	ROLQ $51, DI
	XCHGQ BX, BX
	MOVQ DX, ret+8(FP)
	RET
