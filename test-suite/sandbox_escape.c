/*
 * A hostile guest for the WASI sandbox test (test/sandbox.test.ts). Given one preopen (fd 3),
 * it tries every way out of it with raw WASI calls, so wasi-libc's own path checks are not in
 * the way, and prints one line per attempt: its name and the errno the host gave (0 = done).
 * The test prepares the preopen (sub/file, a symlink `out` to a folder outside it, a sibling
 * folder whose name starts with the preopen's) and says which attempts must succeed.
 * The attempts run inside attack(), so analyze and disable runs re-execute them too.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define DIR 3
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static void report(const char *name, __wasi_errno_t e) {
  printf("%s %d\n", name, (int)e);
}

/* The rights the preopen hands on, asked for in full by every open. */
static __wasi_rights_t inheriting;

static __wasi_errno_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t flags, const char *path, __wasi_oflags_t oflags, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, flags, path, oflags, inheriting, inheriting, 0, fd);
}

/* Opens (creating when asked) and closes; the errno of the open. */
static __wasi_errno_t try_open(__wasi_fd_t dir, __wasi_lookupflags_t flags, const char *path, __wasi_oflags_t oflags) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, flags, path, oflags, &fd);
  if (e == 0) (void)__wasi_fd_close(fd);
  return e;
}

/* Reads the file at path into buf (NUL-terminated); the errno. */
static __wasi_errno_t try_read(__wasi_lookupflags_t flags, const char *path, char *buf, size_t cap) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(DIR, flags, path, 0, &fd);
  if (e != 0) return e;
  __wasi_iovec_t iov = { (uint8_t *)buf, cap - 1 };
  __wasi_size_t n = 0;
  e = __wasi_fd_read(fd, &iov, 1, &n);
  buf[e == 0 ? n : 0] = 0;
  (void)__wasi_fd_close(fd);
  return e;
}

__attribute__((noinline)) static int attack(void) {
  char buf[256];
  __wasi_filestat_t st;
  __wasi_size_t used;
  __wasi_fd_t sub;

  /* Paths the guest may use. */
  report("ok_read_inside", try_read(FOLLOW, "sub/file", buf, sizeof buf));
  report("ok_dotdot_inside", try_read(FOLLOW, "sub/../sub/file", buf, sizeof buf));
  report("ok_inner_symlink", try_read(FOLLOW, "in/file", buf, sizeof buf));
  report("ok_symlink_inside_created", __wasi_path_symlink("../sub/file", DIR, "sub/up"));
  report("ok_read_created_symlink", try_read(FOLLOW, "sub/up", buf, sizeof buf));
  report("ok_create_file", try_open(DIR, FOLLOW, "made", __WASI_OFLAGS_CREAT));
  report("ok_lstat_outward_symlink", __wasi_path_filestat_get(DIR, 0, "out", &st));
  report("ok_lstat_is_symlink", st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK ? 0 : 1);
  report("ok_readlink_outward", __wasi_path_readlink(DIR, "out", (uint8_t *)buf, sizeof buf, &used));
  report("ok_unlink_created_symlink", __wasi_path_unlink_file(DIR, "sub/up"));

  /* Plain escapes. */
  report("deny_dotdot", try_open(DIR, FOLLOW, "../outside/secret", 0));
  report("deny_dotdot_deep", try_open(DIR, FOLLOW, "sub/../../outside/secret", 0));
  report("deny_absolute", try_open(DIR, FOLLOW, "/etc/passwd", 0));
  report("deny_sibling_prefix", try_open(DIR, FOLLOW, "../boxsibling/f", 0));
  report("deny_create_dotdot", try_open(DIR, FOLLOW, "../created_by_guest", __WASI_OFLAGS_CREAT));
  report("deny_mkdir_dotdot", __wasi_path_create_directory(DIR, "../mkdir_by_guest"));
  report("deny_unlink_dotdot", __wasi_path_unlink_file(DIR, "../outside/victim"));
  report("deny_rename_out", __wasi_path_rename(DIR, "sub/file", DIR, "../outside/moved"));
  report("deny_rename_in", __wasi_path_rename(DIR, "../outside/victim", DIR, "stolen"));

  /* Symlinks made by the guest. */
  report("deny_symlink_dotdot", __wasi_path_symlink("../outside", DIR, "a"));
  report("deny_symlink_deep_dotdot", __wasi_path_symlink("../../outside", DIR, "sub/b"));
  report("deny_symlink_absolute", __wasi_path_symlink("/etc", DIR, "c"));
  report("deny_create_through_a", try_open(DIR, 0, "a/created_by_guest", __WASI_OFLAGS_CREAT));
  report("deny_symlink_to_outward_symlink", __wasi_path_symlink("out", DIR, "d"));
  report("deny_symlink_through_outward_symlink", __wasi_path_symlink("sub/../out/secret", DIR, "e"));
  report("ok_symlink_dangling_inside", __wasi_path_symlink("sub/not_yet", DIR, "f"));
  report("ok_unlink_dangling_inside", __wasi_path_unlink_file(DIR, "f"));

  /* The symlink `out` that was already there and points outside. */
  report("deny_read_through_out", try_read(FOLLOW, "out/secret", buf, sizeof buf));
  report("deny_read_through_out_nofollow", try_read(0, "out/secret", buf, sizeof buf));
  report("deny_write_through_out", try_open(DIR, FOLLOW, "out/created_by_guest", __WASI_OFLAGS_CREAT));
  report("deny_open_out_nofollow", try_open(DIR, 0, "out", 0));
  report("deny_open_out_follow", try_open(DIR, FOLLOW, "out", __WASI_OFLAGS_DIRECTORY));
  report("deny_truncate_through_out", try_open(DIR, FOLLOW, "out/victim", __WASI_OFLAGS_TRUNC));
  report("deny_stat_through_out", __wasi_path_filestat_get(DIR, FOLLOW, "out/secret", &st));
  report("deny_stat_out_follow", __wasi_path_filestat_get(DIR, FOLLOW, "out", &st));
  report("deny_times_through_out", __wasi_path_filestat_set_times(DIR, FOLLOW, "out/victim", 0, 0, __WASI_FSTFLAGS_ATIM_NOW));
  report("deny_link_through_out", __wasi_path_link(DIR, FOLLOW, "out/secret", DIR, "hardlink"));
  report("deny_link_out_follow", __wasi_path_link(DIR, FOLLOW, "out", DIR, "hardlink2"));
  report("deny_mkdir_through_out", __wasi_path_create_directory(DIR, "out/mkdir_by_guest"));
  report("deny_unlink_through_out", __wasi_path_unlink_file(DIR, "out/victim"));
  report("deny_loop", try_open(DIR, FOLLOW, "loop1", 0));
  report("deny_dangling_out_create", try_open(DIR, FOLLOW, "dangling", __WASI_OFLAGS_CREAT));

  /* A directory fd is a capability of its own: `..` may not leave it. */
  __wasi_rights_t dir_rights = inheriting & ~(__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
  __wasi_errno_t e = __wasi_path_open(DIR, FOLLOW, "sub", __WASI_OFLAGS_DIRECTORY, dir_rights, inheriting, 0, &sub);
  report("ok_open_sub", e);
  if (e == 0) {
    report("ok_read_from_sub", try_open(sub, FOLLOW, "file", 0));
    report("deny_sub_dotdot", try_open(sub, FOLLOW, "../made", 0));
    report("deny_sub_dotdot_out", try_open(sub, FOLLOW, "../../outside/secret", 0));
    (void)__wasi_fd_close(sub);
  }
  return 0;
}

int main(void) {
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(DIR, &st) != 0) return 1;
  inheriting = st.fs_rights_inheriting;
  return attack();
}
