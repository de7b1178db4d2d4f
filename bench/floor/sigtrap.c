/* sigtrap: the floor of in-kernel filtering, for `make bench`. It starts
 * PROG under ptrace and, after its exec, opens a perf hardware breakpoint
 * on it (an 8-byte write watch on ADDR) with sigtrap and sample_period N:
 * the kernel counts the writes and sends SIGTRAP only at the N-th, with
 * no BPF program. It resumes the program at that stop and at every other
 * stop until PROG exits, and prints "N hits", the event's count, only
 * when PROG exited with status 0 after exactly one stop of the event (no
 * stop when N is 0: no event is opened).
 * Usage: sigtrap ADDR N PROG [ARG...] */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif

static void die(const char *what) {
	fprintf(stderr, "sigtrap: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv) {
	if (argc < 4) {
		fprintf(stderr, "usage: sigtrap ADDR N PROG [ARG...]\n");
		return 2;
	}
	unsigned long addr = strtoul(argv[1], NULL, 0);
	long n = atol(argv[2]);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[3], argv + 3);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status))
		die("the exec stop");
	int fd = -1;
	if (n > 0) {
		struct perf_event_attr at;
		memset(&at, 0, sizeof at);
		at.type = PERF_TYPE_BREAKPOINT;
		at.size = sizeof at;
		at.bp_type = HW_BREAKPOINT_W;
		at.bp_addr = addr;
		at.bp_len = HW_BREAKPOINT_LEN_8;
		at.sample_period = n;
		at.exclude_kernel = 1;
		at.exclude_hv = 1;
		at.remove_on_exec = 1;
		at.sigtrap = 1;
		fd = syscall(SYS_perf_event_open, &at, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			die("perf_event_open");
	}
	int stops = 0;
	if (ptrace(PTRACE_CONT, pid, 0, 0))
		die("PTRACE_CONT");
	for (;;) {
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		int sig = WSTOPSIG(status);
		siginfo_t si;
		if (sig == SIGTRAP && ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0 && si.si_code == TRAP_PERF) {
			stops++;
			sig = 0;
		}
		if (ptrace(PTRACE_CONT, pid, 0, sig))
			die("PTRACE_CONT");
	}
	uint64_t count = 0;
	if (fd >= 0 && read(fd, &count, sizeof count) != sizeof count)
		die("read the count");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stops != (n > 0)) {
		fprintf(stderr, "sigtrap: %s ended with status %#x after %d stops\n", argv[3], status, stops);
		return 1;
	}
	printf("%llu hits\n", (unsigned long long)count);
	return 0;
}
