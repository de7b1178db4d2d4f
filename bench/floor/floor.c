/* floor: the cheapest possible hardware-watchpoint hit loop, for `make
 * bench` to measure hwdbg against. It starts PROG under ptrace, arms DR0
 * as an 8-byte write watch on ADDR, and resumes at every hit until PROG
 * exits, counting hits; it prints "N hits" only when PROG exited with
 * status 0, and the bench checks N against the writes PROG made (a
 * machine that does not deliver debug-register traps counts 0).
 * Usage: floor ADDR PROG [ARG...] */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: floor ADDR PROG [ARG...]\n");
		return 2;
	}
	unsigned long addr = strtoul(argv[1], NULL, 0);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[2], argv + 2);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0) /* the exec stop */
		die("waitpid");
	if (!WIFSTOPPED(status)) {
		fprintf(stderr, "floor: %s did not start (status %#x)\n", argv[2], status);
		return 1;
	}
	size_t dr = offsetof(struct user, u_debugreg);
	/* DR7: L0 enable, RW0 = 01 (write), LEN0 = 10 (8 bytes). */
	unsigned long dr7 = 1UL | (1UL << 16) | (2UL << 18);
	if (ptrace(PTRACE_POKEUSER, pid, dr, addr) || ptrace(PTRACE_POKEUSER, pid, dr + 7 * 8, dr7))
		die("POKEUSER");
	long hits = 0;
	if (ptrace(PTRACE_CONT, pid, 0, 0))
		die("PTRACE_CONT");
	for (;;) {
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		int sig = WSTOPSIG(status);
		if (sig == SIGTRAP) {
			hits++;
			sig = 0;
		}
		if (ptrace(PTRACE_CONT, pid, 0, sig))
			die("PTRACE_CONT");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "floor: %s ended with status %#x\n", argv[2], status);
		return 1;
	}
	printf("%ld hits\n", hits);
	return 0;
}
