/* A failing disk, for tests/reliability/io_error.test.mjs: preloaded into a
 * server (LD_PRELOAD), it makes writes and syncs of files under the directory
 * KEHU_FAULT_DIR fail with EIO for as long as the file KEHU_FAULT_TRIGGER
 * exists. It wraps the calls SQLite makes for its database, journal and WAL
 * files (pwrite64, fdatasync, fsync); everything else passes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int failing(int fd)
{
	const char *dir = getenv("KEHU_FAULT_DIR"), *trigger = getenv("KEHU_FAULT_TRIGGER");
	if (!dir || !trigger || access(trigger, F_OK) != 0)
		return 0;
	char link[64], path[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return strncmp(path, dir, strlen(dir)) == 0;
}

/* Looked up on each call rather than cached in a static: the cost does not
 * matter here, and there is then nothing to race on between threads. */
#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return REAL(pwrite64)(fd, buf, n, off);
}

int fdatasync(int fd)
{
	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return REAL(fdatasync)(fd);
}

int fsync(int fd)
{
	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return REAL(fsync)(fd);
}
