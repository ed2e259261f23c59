/*
 * Files: the operating-system primitives each platform file implements
 * (file_posix.c, file_win.c). The policy built on them (atomic writes, staged
 * sets, password files) is portable and lives in file.c; the directory store
 * lists and removes through them. Paths are UTF-8.
 */
#ifndef MGW_PLATFORM_FILE_H
#define MGW_PLATFORM_FILE_H

#include "core/core.h"

/* True when something exists at `path` (a final symbolic link is not followed). */
bool mgw_path_exists(const char *path);

/* What is at a path (MGW_PATH_MISSING is not an error), following a final
 * link or not, and a file's size. */
enum { MGW_PATH_MISSING, MGW_PATH_FILE, MGW_PATH_DIR, MGW_PATH_LINK, MGW_PATH_OTHER };
int mgw_path_kind(const char *path, bool follow, int *kind, uint64_t *size);

/* Write data to a new temporary file next to `path`, flushed to disk. Without
 * MGW_FILE_PRIVATE it is readable by others (0644); with it only by its owner
 * (POSIX mode 0600; Windows: a protected DACL for the user and SYSTEM).
 * *tmp receives its name (free()). With MGW_FILE_SYNC_LATER (internal, never
 * from a caller of the API) the flush may be left to mgw_file_sync_temp(),
 * which must then succeed before the file is placed. */
#define MGW_FILE_SYNC_LATER 0x100u
/* The file flags a caller of the API may pass (MGW_FILE_FORCE,
 * MGW_FILE_PRIVATE, MGW_FILE_NO_DIR_SYNC): every public function that takes
 * file flags refuses any other bit with MGW_ERR_INVALID_ARGUMENT, so that an
 * internal one such as MGW_FILE_SYNC_LATER never comes in from outside. */
#define MGW_FILE_PUBLIC_FLAGS (MGW_FILE_FORCE | MGW_FILE_PRIVATE | MGW_FILE_NO_DIR_SYNC)
int mgw_file_flags_check(unsigned flags, const char *fn);
int mgw_file_write_temp(const char *path, const uint8_t *data, size_t len, unsigned flags,
                        char **tmp);
/* Flush a temporary file written with MGW_FILE_SYNC_LATER to disk. */
int mgw_file_sync_temp(const char *tmp);
/* Move tmp to path atomically; without MGW_FILE_FORCE never replace a file
 * (MGW_ERR_EXISTS). */
int mgw_file_place(const char *tmp, const char *path, unsigned flags);
/* Remove a file (MGW_ERR_NOT_FOUND when it is not there). */
int mgw_file_remove(const char *path);
/* Remove a file when cleaning up: failures are ignored and the error detail
 * of the thread is left as it is. */
void mgw_file_discard(const char *path);
/* The directory part of a path, "." when it has none (malloc'ed), and making
 * a directory durable after renames or removals in it. */
char *mgw_path_dir(const char *path);
int mgw_dir_sync(const char *dir);
/* The names in a directory, without "." and ".."; *names is an array of
 * malloc'ed strings (mgw_strv_free). MGW_ERR_NOT_FOUND when it does not
 * exist. */
int mgw_dir_list(const char *dir, char ***names, size_t *n);
/* Reading a file: open (MGW_ERR_NOT_FOUND when it is not there), read up to
 * `n` bytes (*got 0 at the end), close. The handle is a file descriptor or a
 * Windows HANDLE. */
int mgw_file_open_read(const char *path, intptr_t *h);
int mgw_file_read_some(intptr_t h, const char *path, uint8_t *buf, size_t n, size_t *got);
void mgw_file_close_read(intptr_t h);

/* True in *same when both paths exist and name one file (device and inode;
 * on Windows volume serial number and file index), final links followed. */
int mgw_path_same(const char *a, const char *b, bool *same);
/* The path of the file `path` names with every symbolic link resolved
 * (malloc'ed); MGW_ERR_NOT_FOUND when it does not exist. */
int mgw_path_resolve(const char *path, char **out);
/* Give file `tmp` the permissions of the existing file `from`: its mode and,
 * when running as root, its owner and group (POSIX); its DACL (Windows). */
int mgw_file_copy_access(const char *from, const char *tmp);
/* Replace the existing file `path` atomically (temp + flush + rename in its
 * directory) with data, keeping its permissions (mgw_file_copy_access). */
int mgw_file_replace_keep(const char *path, const uint8_t *data, size_t len);

#endif
