#include "textflag.h"

// func dczid() uint64
TEXT ·dczid(SB), NOSPLIT, $0-8
	MRS	DCZID_EL0, R0
	MOVD	R0, ret+0(FP)
	RET
