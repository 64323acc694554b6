/* confine.c - see confine.h. */
#define _GNU_SOURCE
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's UAPI (include/uapi/linux/landlock.h), spelled out here: the
 * installed headers may be older than the running kernel (Debian 12 ships
 * ABI 2's, this kernel speaks ABI 7). */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

/* rights that apply to a regular file (the rest only make sense on directories) */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct scl_confine {
    int fd;
    uint64_t handled_fs;
};

int scl_confine_abi(char *why, size_t why_cap)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi >= 1)
        return (int)abi;
    if (why) {
        if (errno == ENOSYS)
            snprintf(why, why_cap, "this kernel has no Landlock (Linux 5.13 or later built with it is needed)");
        else if (errno == EOPNOTSUPP)
            snprintf(why, why_cap, "Landlock is built into this kernel but disabled (boot option lsm=...landlock)");
        else
            snprintf(why, why_cap, "Landlock is unavailable: %s", strerror(errno));
    }
    return 0;
}

static uint64_t handled_fs_for(int abi)
{
    uint64_t fs = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_REMOVE_DIR |
                  LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK |
                  LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM;
    if (abi >= 2)
        fs |= LL_FS_REFER;
    if (abi >= 3)
        fs |= LL_FS_TRUNCATE;
    if (abi >= 5)
        fs |= LL_FS_IOCTL_DEV;
    return fs;
}

scl_confine *scl_confine_new(scl_error *err)
{
    char why[160];
    int abi = scl_confine_abi(why, sizeof why);
    if (abi < 1) {
        scl_error_set(err, SCL_ENOTFOUND, "%s", why);
        return NULL;
    }
    struct ll_ruleset_attr attr = {handled_fs_for(abi), 0, 0};
    size_t size = sizeof attr.handled_access_fs;
    if (abi >= 4) {
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP; /* no rule allows any port */
        size = offsetof(struct ll_ruleset_attr, scoped);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
        size = sizeof attr;
    }
    scl_confine *c = calloc(1, sizeof *c);
    if (!c) {
        scl_error_set(err, SCL_ENOMEM, "out of memory");
        return NULL;
    }
    c->fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (c->fd < 0) {
        scl_error_set(err, SCL_EIO, "cannot create a Landlock rule set (ABI %d): %s", abi, strerror(errno));
        free(c);
        return NULL;
    }
    fcntl(c->fd, F_SETFD, FD_CLOEXEC);
    c->handled_fs = attr.handled_access_fs;
    return c;
}

scl_status scl_confine_allow(scl_confine *c, const char *path, int what, scl_error *err)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? SCL_OK
                                                   : scl_error_set(err, SCL_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return scl_error_set(err, SCL_EIO, "%s: %s", path, strerror(errno));
    }
    uint64_t allowed = 0;
    if (what & SCL_CONFINE_READ)
        allowed |= LL_FS_READ_FILE | LL_FS_READ_DIR;
    if (what & SCL_CONFINE_EXEC)
        allowed |= LL_FS_EXECUTE;
    if (what & SCL_CONFINE_WRITE)
        allowed |= c->handled_fs & ~(uint64_t)(LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR);
    if (!S_ISDIR(st.st_mode))
        allowed &= LL_FS_FILE_RIGHTS;
    struct ll_path_beneath_attr rule = {allowed & c->handled_fs, fd};
    long rc = syscall(SYS_landlock_add_rule, c->fd, LL_RULE_PATH_BENEATH, &rule, 0);
    int e = errno;
    close(fd);
    if (rc != 0)
        return scl_error_set(err, SCL_EIO, "cannot allow %s in the Landlock rule set: %s", path, strerror(e));
    return SCL_OK;
}

int scl_confine_apply(const scl_confine *c)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_landlock_restrict_self, c->fd, 0);
}

void scl_confine_destroy(scl_confine *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}
