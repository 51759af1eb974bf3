/* SPDX-License-Identifier: MIT */
/* Our own VMs' runtime directories: their checks, the lock per name, the
 * pid file, shutting a QEMU down and removing what it left.  The QEMU
 * command line is in qemuargs.c, "run" itself in run.c (parse, prepare)
 * and cmd_run.c (launch, supervise). */
#include "host/vm.h"
#include "common/size.h"
#include "common/util.h"
#include "host/qmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int vr_vm_base(char *buf, size_t size, bool create)
{
	const char *env = getenv("VMRECLAIM_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/vmreclaim");
	else if (xdg && *xdg)
		n = snprintf(buf, size, "%s/vmreclaim", xdg);
	else
		n = snprintf(buf, size, "/tmp/vmreclaim-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Somebody else's directory (another user made it first in /tmp)
	 * is not a place for our sockets, nor one to take sockets, pids and
	 * names from: every command checks, not only "run". */
	if (lstat(buf, &st) < 0)
		return errno == ENOENT && !create ? 0 : -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077))
		return -EPERM;
	return 0;
}

const char *vr_vm_strerror(int r)
{
	static char msg[VR_PATH_MAX + 160];
	char base[VR_PATH_MAX];

	if (r != -EPERM)
		return strerror(-r);
	if (vr_vm_base(base, sizeof(base), false) != -EPERM)
		return strerror(-r);
	snprintf(msg, sizeof(msg),
		 "the runtime directory %s is not ours (it must be a directory of uid %u, "
		 "mode 0700; another user may have made it first): left alone",
		 base, (unsigned)geteuid());
	return msg;
}

bool vr_vm_name_ok(const char *name)
{
	size_t n = strlen(name);

	/* Not '.' first (hidden, and ".lock" files are ours), nor '-' (it
	 * would be read as an option by the next command given it). */
	if (n == 0 || n > VR_VM_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* a + b + c into @dst, whose room the caller has checked. */
static void join(char *dst, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	memcpy(dst, a, la);
	memcpy(dst + la, b, lb);
	memcpy(dst + la + lb, c, lc + 1);
}

int vr_vm_paths(struct vr_vm *vm, const char *name, const char *console)
{
	char base[VR_PATH_MAX];
	int r;

	memset(vm, 0, sizeof(*vm));
	if (!vr_vm_name_ok(name))
		return -EINVAL;
	r = vr_vm_base(base, sizeof(base), false);
	if (r < 0)
		return r;
	strcpy(vm->name, name);
	/* Unix socket paths must fit sun_path (108 bytes). */
	if (strlen(base) + strlen(name) + 1 + 12 >= VR_SOCKET_PATH_MAX ||
	    strlen(base) + strlen(name) + 8 >= VR_PATH_MAX)
		return -ENAMETOOLONG;
	join(vm->dir, base, "/", name);
	join(vm->qmp, vm->dir, "/", "qmp.sock");
	join(vm->monitor, vm->dir, "/", "monitor.sock");
	join(vm->guest, vm->dir, "/", "guest.sock");
	join(vm->pidfile, vm->dir, "/", "qemu.pid");
	join(vm->lock, base, "/.", name);
	strcat(vm->lock, ".lock");
	if (!console)
		join(vm->console, vm->dir, "/", "console.log");
	else if (!vr_strlcpy(vm->console, console, sizeof(vm->console)))
		return -ENAMETOOLONG;
	return 0;
}

int vr_vm_alive(struct vr_vm *vm)
{
	char buf[64], path[64], cmd[16384];
	uint64_t pid;
	size_t len, i;
	int r;

	vm->pid = 0;
	r = vr_read_file(vm->pidfile, buf, sizeof(buf), &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	if (vr_parse_u64(buf, NULL, &pid) < 0 || pid == 0 || pid > INT32_MAX)
		return 0;
	/* The pid must still be this VM's QEMU: after a crash it may have
	 * been reused by anything, another VM's QEMU included.  Ours was
	 * started with "-pidfile <this file>". */
	snprintf(path, sizeof(path), "/proc/%llu/cmdline", (unsigned long long)pid);
	r = vr_read_file(path, cmd, sizeof(cmd), &len);
	if (r < 0)
		return 0;
	for (i = 0; i + 1 < len; i += strlen(cmd + i) + 1)
		if (strcmp(cmd + i, "-pidfile") == 0 && i + 9 < len && strcmp(cmd + i + 9, vm->pidfile) == 0) {
			vm->pid = (pid_t)pid;
			return 1;
		}
	return 0;
}

/* Gone, or a zombie waiting for a parent that is not us. */
static bool process_gone(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (vr_read_head(path, buf, sizeof(buf)) < 0)
		return true;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* Wait for QEMU to go: SIGTERM now when @term_now, SIGTERM again after
 * 5 s and SIGKILL after 10 s, each only to a pid that is still this VM's
 * QEMU. */
static int wait_gone(struct vr_vm *vm, pid_t child, bool term_now, int *ret_status)
{
	pid_t pid = child > 0 ? child : vm->pid;
	int status = 0, i;

	if (term_now && pid > 0 && (child > 0 || vr_vm_alive(vm) == 1))
		kill(pid, SIGTERM);
	for (i = 0; i <= 150; i++) {
		if (child > 0 ? waitpid(child, &status, WNOHANG) == child : process_gone(pid)) {
			if (ret_status)
				*ret_status = status;
			return 0;
		}
		if ((i == 50 || i == 100) && (child > 0 || vr_vm_alive(vm) == 1))
			kill(pid, i == 50 ? SIGTERM : SIGKILL);
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

int vr_vm_shutdown(struct vr_vm *vm, pid_t child, int *ret_status)
{
	char err[256];
	struct vr_qmp *q;
	bool quit_sent = false;

	if (vr_qmp_connect(vm->qmp, 2000, &q, err, sizeof(err)) == 0) {
		quit_sent = vr_qmp_quit(q, err, sizeof(err)) == 0;
		vr_qmp_close(q);
	}
	if (!quit_sent)
		fprintf(stderr, "vmreclaim: %s: cannot quit through QMP (%s); sending SIGTERM\n", vm->name,
			err);
	return wait_gone(vm, child, !quit_sent, ret_status);
}

int vr_vm_terminate(struct vr_vm *vm, pid_t child, int *ret_status)
{
	return wait_gone(vm, child, true, ret_status);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void vr_vm_remove_dir(const struct vr_vm *vm)
{
	nftw(vm->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void vr_vm_remove_all(const struct vr_vm *vm)
{
	vr_vm_remove_dir(vm);
	unlink(vm->lock);
}

/* Created in the last minute. */
static bool recent(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && vr_wall_sec() - (int64_t)st.st_mtime < 60;
}

int vr_vm_lock(const struct vr_vm *vm)
{
	struct stat held, now;
	int fd, r, tries;

	for (tries = 0; tries < 8; tries++) {
		/* O_NOFOLLOW | O_NONBLOCK: in our own directory, but never
		 * follow or wait on what might be there. */
		fd = open(vm->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
			  0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return r;
		}
		/* The holder before us removes the file with the VM's
		 * directory, then lets go: a lock on a file that no longer
		 * has the name locks nothing.  Take the one that has it. */
		if (fstat(fd, &held) == 0 && stat(vm->lock, &now) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

void vr_vm_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

bool vr_vm_remove_dir_if_free(const struct vr_vm *vm)
{
	int fd = vr_vm_lock(vm);

	if (fd < 0)
		return false;
	vr_vm_remove_all(vm);
	vr_vm_unlock(fd);
	return true;
}

bool vr_vm_remove_if_gone(struct vr_vm *vm)
{
	bool removed = false;
	int fd;

	if (!vm->dir[0] || access(vm->dir, F_OK) != 0)
		return false;
	/* A "run" that holds the lock is starting this VM or runs it in
	 * the foreground: its directory is not stale, whatever it holds. */
	fd = vr_vm_lock(vm);
	if (fd < 0)
		return false;
	if (vr_vm_alive(vm) == 1)
		goto unlock;
	/* No pid file yet: a VM that a "run" without the lock (an older
	 * one) is starting right now. */
	if (access(vm->pidfile, F_OK) != 0 && recent(vm->dir))
		goto unlock;
	vr_vm_remove_all(vm);
	removed = true;
unlock:
	vr_vm_unlock(fd);
	return removed;
}

int vr_vm_list(struct vr_vm **ret_vms, bool verbose)
{
	char base[VR_PATH_MAX];
	struct vr_vm *vms = NULL;
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;
	int r;

	*ret_vms = NULL;
	r = vr_vm_base(base, sizeof(base), false);
	if (r < 0)
		return r;
	d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* No fixed limit: as many as there are. */
	while ((de = readdir(d))) {
		struct vr_vm vm;

		if (!vr_vm_name_ok(de->d_name) || vr_vm_paths(&vm, de->d_name, NULL) < 0)
			continue;
		if (vr_vm_alive(&vm) == 1) {
			if (n == cap) {
				size_t new_cap = cap ? 2 * cap : 16;
				struct vr_vm *more = realloc(vms, new_cap * sizeof(*vms));

				if (!more) {
					free(vms);
					closedir(d);
					return -ENOMEM;
				}
				vms = more;
				cap = new_cap;
			}
			vms[n++] = vm;
			continue;
		}
		if (vr_vm_remove_if_gone(&vm) && verbose)
			fprintf(stderr, "vmreclaim: %s: QEMU is gone; removing %s\n", vm.name, vm.dir);
	}
	closedir(d);
	if (n > INT_MAX) {
		free(vms);
		return -E2BIG;
	}
	*ret_vms = vms;
	return (int)n;
}
