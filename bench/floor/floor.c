/* floor: the cheapest possible hardware-watchpoint hit loop, for `make
 * bench` to measure hwdbg against. It starts PROG under ptrace, arms DR0
 * as an 8-byte write watch on ADDR, and resumes at every hit until PROG
 * exits, counting hits. Usage: floor ADDR PROG [ARG...] */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: floor ADDR PROG [ARG...]\n");
		return 2;
	}
	unsigned long addr = strtoul(argv[1], NULL, 0);
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[2], argv + 2);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0); /* the exec stop */
	size_t dr = offsetof(struct user, u_debugreg);
	/* DR7: L0 enable, RW0 = 01 (write), LEN0 = 10 (8 bytes). */
	unsigned long dr7 = 1UL | (1UL << 16) | (2UL << 18);
	if (ptrace(PTRACE_POKEUSER, pid, dr, addr) || ptrace(PTRACE_POKEUSER, pid, dr + 7 * 8, dr7)) {
		perror("POKEUSER");
		return 1;
	}
	long hits = 0;
	ptrace(PTRACE_CONT, pid, 0, 0);
	for (;;) {
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		int sig = WSTOPSIG(status);
		if (sig == SIGTRAP) {
			hits++;
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
	printf("%ld hits\n", hits);
	return 0;
}
