/* int3: the cheapest possible software-breakpoint stop loop, for `make
 * bench` to measure hwdbg's breakpoints against. It starts PROG under
 * ptrace, writes an int3 (0xCC) at ADDR (a function's entry in a non-PIE
 * PROG), and at every stop there does what any int3 debugger must to let
 * the program go on: put the original byte back, set the pc back over the
 * int3, single-step the original instruction, write the int3 again and
 * continue. It counts the stops and prints "N hits" when PROG exited with
 * status 0; the bench checks N against the calls PROG made.
 * Usage: int3 ADDR PROG [ARG...] */
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
	fprintf(stderr, "int3: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: int3 ADDR PROG [ARG...]\n");
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
		fprintf(stderr, "int3: %s did not start (status %#x)\n", argv[2], status);
		return 1;
	}
	errno = 0;
	long orig = ptrace(PTRACE_PEEKTEXT, pid, addr, 0);
	if (errno)
		die("PEEKTEXT");
	long patched = (orig & ~0xffL) | 0xcc;
	if (ptrace(PTRACE_POKETEXT, pid, addr, patched))
		die("POKETEXT");
	size_t rip = offsetof(struct user, regs) + offsetof(struct user_regs_struct, rip);
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
			/* The pc is one past the int3: is it ours? */
			errno = 0;
			unsigned long pc = ptrace(PTRACE_PEEKUSER, pid, rip, 0);
			if (errno)
				die("PEEKUSER rip");
			if (pc - 1 != addr) {
				fprintf(stderr, "int3: SIGTRAP at %#lx, not at the breakpoint %#lx\n", pc, addr);
				return 1;
			}
			hits++;
			/* Step the original instruction with the int3 taken out. */
			if (ptrace(PTRACE_POKEUSER, pid, rip, addr) || ptrace(PTRACE_POKETEXT, pid, addr, orig))
				die("POKEUSER/POKETEXT");
			if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0))
				die("PTRACE_SINGLESTEP");
			if (waitpid(pid, &status, 0) < 0)
				die("waitpid");
			if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
				fprintf(stderr, "int3: the single step ended in status %#x, not a SIGTRAP stop\n", status);
				return 1;
			}
			if (ptrace(PTRACE_POKETEXT, pid, addr, patched))
				die("POKETEXT");
			sig = 0;
		}
		if (ptrace(PTRACE_CONT, pid, 0, sig))
			die("PTRACE_CONT");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "int3: %s ended with status %#x\n", argv[2], status);
		return 1;
	}
	printf("%ld hits\n", hits);
	return 0;
}
