#define _GNU_SOURCE
#include "cg_knob_record.h"
#include "cg_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_TEMP CG_KNOB_RECORD ".new"
#define MAX_RECORD_LINES 16

int cg_run_dir_make(void)
{
	if (mkdir("/run", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(CG_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int cg_knob_record_write(const struct cg_knob *knobs, size_t n)
{
	FILE *f = fopen(RECORD_TEMP, "we");
	int err = 0;

	if (!f)
		return -errno;
	fprintf(f, "# %s pid %d: the THP knobs as it found them; it puts them back and removes this file\n",
		cg_prog_name, (int)getpid());
	for (size_t i = 0; i < n; i++)
		if (cg_knob_needs_change(&knobs[i]))
			fprintf(f, "%s %s\n", knobs[i].path, knobs[i].saved);
	if (fflush(f) || ferror(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(RECORD_TEMP, CG_KNOB_RECORD))
		err = -errno;
	if (err)
		unlink(RECORD_TEMP);
	return err;
}

/* Only THP knobs, never another sysfs file, whatever the record says. */
static bool plausible(const char *path, const char *value)
{
	if (strncmp(path, CG_THP_DIR "/", sizeof(CG_THP_DIR)) || strstr(path, "..") || !*value)
		return false;
	for (const char *c = value; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return false;
	return true;
}

/* " of collapse-check (pid 1234)" from the first line, for the message. */
static void record_owner(const char *line, char *owner, size_t size)
{
	char prog[64];
	int pid;

	if (sscanf(line, "# %63s pid %d", prog, &pid) == 2)
		format_into(owner, size, " of %s (pid %d)", prog, pid);
}

int cg_knob_record_recover(char *why, size_t why_size)
{
	char line[512], owner[96] = "", done[1024] = "";
	FILE *f = fopen(CG_KNOB_RECORD, "re");
	int lines = 0, failed = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		format_into(why, why_size, "cannot read %s: %s", CG_KNOB_RECORD, errno_name(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && lines++ < MAX_RECORD_LINES) {
		char path[256], value[32], now[32] = "?";
		int err;

		if (line[0] == '#') {
			record_owner(line, owner, sizeof(owner));
			continue;
		}
		if (sscanf(line, "%255s %31s", path, value) != 2 || !plausible(path, value)) {
			append_sep(done, sizeof(done), "ignored a bad line");
			continue;
		}
		cg_knob_read(path, now, sizeof(now));
		if (!strcmp(now, value))
			continue;
		err = cg_knob_write(path, value);
		if (err) {
			failed++;
			append_sep(done, sizeof(done), "cannot write %s to %s: %s", value, path,
				   errno_name(-err));
		} else {
			append_sep(done, sizeof(done), "%s %s -> %s", path + sizeof(CG_THP_DIR),
				   now, value);
		}
	}
	fclose(f);
	fprintf(stderr, "%s: an earlier run%s ended without putting the THP knobs back;"
		" put back from %s: %s\n", cg_prog_name, owner, CG_KNOB_RECORD,
		done[0] ? done : "nothing, they were back already");
	if (failed) {
		format_into(why, why_size, "cannot put back the THP knobs of %s: %s",
			    CG_KNOB_RECORD, done);
		return -1;
	}
	cg_knob_record_remove();
	return 0;
}

void cg_knob_record_remove(void)
{
	unlink(CG_KNOB_RECORD);
}
