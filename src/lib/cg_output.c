#define _GNU_SOURCE
#include "cg_output.h"
#include "cg_exit_guard.h"
#include "cg_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file being written, for the clean-up; "" when none. */
static char pending_temp[PATH_MAX];

static void remove_pending_temp(void)
{
	if (pending_temp[0])
		unlink(pending_temp);
	pending_temp[0] = '\0';
}

static int open_temp_beside(const char *name, char *why, size_t why_size)
{
	char dir_buf[PATH_MAX], base_buf[PATH_MAX], temp[PATH_MAX];
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	format_into(dir_buf, sizeof(dir_buf), "%s", name);
	format_into(base_buf, sizeof(base_buf), "%s", name);
	format_into(temp, sizeof(temp), "%s/.%s.XXXXXX", dirname(dir_buf), basename(base_buf));
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0) {
		format_into(why, why_size, "cannot create a file beside %s: %s", name,
			    errno_name(errno));
		return -1;
	}
	fchmod(fd, 0666 & ~mask);
	memcpy(pending_temp, temp, sizeof(temp));
	cg_exit_guard_install(0);
	cg_exit_guard_add(remove_pending_temp);
	return fd;
}

int cg_output_open(struct cg_output *out, const char *name, char *why, size_t why_size)
{
	struct stat st;
	int fd;

	memset(out, 0, sizeof(*out));
	out->name = name;
	if (!strcmp(name, "-")) {
		out->is_stdout = true;
		out->stream = stdout;
		return 0;
	}
	if (!stat(name, &st) && !S_ISREG(st.st_mode)) {
		/* O_NOCTTY: the QEMU harness points this at a serial port. */
		fd = open(name, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			format_into(why, why_size, "cannot open %s: %s", name, errno_name(errno));
			return -1;
		}
	} else {
		/* A link to the report stays a link: the file it names is replaced. */
		if (!realpath(name, out->target))
			format_into(out->target, sizeof(out->target), "%s", name);
		fd = open_temp_beside(out->target, why, why_size);
		if (fd < 0)
			return -1;
		out->renamed_at_close = true;
	}
	out->stream = fdopen(fd, "w");
	if (!out->stream) {
		format_into(why, why_size, "cannot open %s: %s", name, errno_name(errno));
		close(fd);
		remove_pending_temp();
		return -1;
	}
	return 0;
}

int cg_output_close(struct cg_output *out, char *why, size_t why_size)
{
	int err = 0;

	if (out->is_stdout)
		return 0;	/* cg_stdout_close() tells */
	if (fflush(out->stream) || ferror(out->stream))
		err = errno ? errno : EIO;
	if (out->renamed_at_close && !err && fsync(fileno(out->stream)))
		err = errno;
	if (fclose(out->stream) && !err)
		err = errno;
	out->stream = NULL;
	if (!err && out->renamed_at_close && rename(pending_temp, out->target))
		err = errno;
	if (out->renamed_at_close) {
		if (!err)
			pending_temp[0] = '\0';
		remove_pending_temp();
		cg_exit_guard_remove(remove_pending_temp);
	}
	if (err) {
		format_into(why, why_size, "cannot write %s: %s", out->name, errno_name(err));
		return -1;
	}
	return 0;
}

int cg_stdout_close(void)
{
	if (fflush(stdout) || ferror(stdout))
		return -(errno ? errno : EIO);
	if (fclose(stdout))
		return -errno;
	return 0;
}

int cg_json_out_check(const char *value, char *why, size_t why_size)
{
	if (!value[0]) {
		format_into(why, why_size, "--json-out needs a file name");
		return -1;
	}
	if (value[0] == '-' && value[1]) {
		format_into(why, why_size,
			    "--json-out needs a file name, not the option '%s'"
			    " (write ./NAME for a file so named)", value);
		return -1;
	}
	return 0;
}
