#define _GNU_SOURCE
#include "report.h"
#include "cg_json.h"
#include "cg_thp_knobs.h"
#include "content.h"
#include "shared.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void kstats_read(struct kstats *k)
{
	k->thp_collapse_alloc = vmstat_value("thp_collapse_alloc");
	k->thp_collapse_alloc_failed = vmstat_value("thp_collapse_alloc_failed");
	k->thp_file_alloc = vmstat_value("thp_file_alloc");
	k->khugepaged_pages_collapsed = cg_sysfs_long(CG_KHUGEPAGED_DIR "/pages_collapsed");
	k->khugepaged_full_scans = cg_sysfs_long(CG_KHUGEPAGED_DIR "/full_scans");
}

void emit_json(const struct options *o, const char *line)
{
	if (o->json) {
		printf("%s\n", line);
		fflush(stdout);
	}
	if (o->json_out) {
		int fd = open(o->json_out, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
		size_t len = strlen(line);

		if (fd < 0 || write(fd, line, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
			warnx_("cannot write %s: %s", o->json_out, errno_name(errno));
		if (fd >= 0)
			close(fd);
	}
}

static const char *who_name(int who)
{
	switch (who) {
	case WHO_READER: return "reader";
	case WHO_WORKER: return "worker";
	case WHO_CHILD:  return "child";
	case WHO_WRITER: return "writer";
	}
	return "?";
}

static unsigned long ld(atomic_ulong *v)
{
	return atomic_load(v);
}

static long delta(long after, long before)
{
	return after < 0 || before < 0 ? -1 : after - before;
}

/* "+N", or "n/a" when the kernel does not have the counter. */
static const char *plus(long v, char *buf)
{
	if (v < 0)
		return "n/a";
	snprintf(buf, 24, "+%ld", v);
	return buf;
}

/* {"name": count, ...} of an array of counters. */
static void json_counters(struct cg_json *j, const char *key, const char *const *names,
			  atomic_ulong *counters, int n)
{
	cg_json_object(j, key);
	for (int i = 0; i < n; i++)
		cg_json_uint(j, names[i], ld(&counters[i]));
	cg_json_end(j);
}

static void json_sample(struct cg_json *j, const struct violation_sample *v)
{
	char value[24];

	snprintf(value, sizeof(value), "%#" PRIx64, v->value);
	cg_json_object(j, NULL);
	cg_json_int(j, "proc", v->proc);
	cg_json_string(j, "who", who_name(v->who));
	cg_json_string(j, "kind", v->kind == PAGE_ZERO ? "zero" : "other");
	cg_json_int(j, "page", v->page);
	cg_json_int(j, "word", v->word);
	cg_json_string(j, "value", value);
	cg_json_int(j, "ms", v->ms);
	cg_json_end(j);
}

static void stress_json(FILE *out, const struct stress_summary *s, unsigned long total_ops,
			unsigned nsamples)
{
	const struct options *o = s->o;
	struct cg_json j;

	cg_json_report_begin(&j, out, false, "collapse-stress");
	cg_json_string(&j, "mode", "stress");
	cg_json_int(&j, "seconds", o->seconds);
	cg_json_int(&j, "elapsed_ms", s->elapsed_ms);
	cg_json_int(&j, "procs", o->procs);
	cg_json_int(&j, "readers", o->readers);
	cg_json_int(&j, "workers", o->workers);
	cg_json_int(&j, "armed_extents", o->armed_extents);
	cg_json_int(&j, "unarmed_extents", o->unarmed_extents);
	cg_json_uint(&j, "seed", o->seed);
	cg_json_bool(&j, "khugepaged_tuned", s->khugepaged_tuned);
	cg_json_uint(&j, "operations", total_ops);
	json_counters(&j, "ops", op_names, G->ops, OP_NR);
	json_counters(&j, "op_failures", op_names, G->op_errors, OP_NR);
	json_counters(&j, "madv_collapse", collapse_result_names, G->collapse, CR_NR);
	json_counters(&j, "child_madv_collapse", collapse_result_names, G->child_collapse, CR_NR);
	cg_json_uint(&j, "collapses_committed", ld(&G->collapses_committed));
	cg_json_uint(&j, "collapses_refused",
		     ld(&G->collapse[CR_EBUSY]) + ld(&G->child_collapse[CR_EBUSY]));
	cg_json_int(&j, "khugepaged_pages_collapsed",
		    delta(s->after.khugepaged_pages_collapsed, s->before.khugepaged_pages_collapsed));
	cg_json_int(&j, "khugepaged_full_scans",
		    delta(s->after.khugepaged_full_scans, s->before.khugepaged_full_scans));
	cg_json_int(&j, "thp_collapse_alloc",
		    delta(s->after.thp_collapse_alloc, s->before.thp_collapse_alloc));
	cg_json_int(&j, "thp_collapse_alloc_failed",
		    delta(s->after.thp_collapse_alloc_failed, s->before.thp_collapse_alloc_failed));
	cg_json_uint(&j, "faults", ld(&G->faults));
	cg_json_uint(&j, "served", ld(&G->served));
	cg_json_uint(&j, "copy_eexist", ld(&G->copy_eexist));
	cg_json_uint(&j, "copy_eagain", ld(&G->copy_eagain));
	cg_json_uint(&j, "copy_gone", ld(&G->copy_gone));
	cg_json_uint(&j, "fork_events", ld(&G->fork_events));
	cg_json_uint(&j, "remap_events", ld(&G->remap_events));
	cg_json_uint(&j, "pages_checked", ld(&G->pages_checked));
	cg_json_uint(&j, "violations", ld(&G->violations));
	cg_json_uint(&j, "violations_zero", ld(&G->violations_zero));
	cg_json_uint(&j, "violations_other", ld(&G->violations_garbage));
	cg_json_uint(&j, "lost_writes", ld(&G->lost_writes));
	cg_json_uint(&j, "errors", ld(&G->errors));
	cg_json_bool(&j, "stuck", s->stuck);
	cg_json_array(&j, "samples");
	for (unsigned i = 0; i < nsamples; i++)
		json_sample(&j, &G->samples[i]);
	cg_json_end(&j);
	cg_json_string(&j, "result", s->result);
	cg_json_end(&j);
	fflush(out);
}

void report_stress(const struct stress_summary *s)
{
	char b[4][24];
	const struct options *o = s->o;
	unsigned nsamples = atomic_load(&G->nsamples);
	unsigned long total_ops = 0;
	char *json = NULL;
	size_t json_len = 0;
	FILE *j;

	if (nsamples > MAX_SAMPLES)
		nsamples = MAX_SAMPLES;
	for (int i = 0; i < OP_NR; i++)
		total_ops += ld(&G->ops[i]);

	printf("collapse-stress: kernel %s, %d s, %d processes x (%d readers, %d workers, "
	       "collapser, puncher, forker, pager)%s, %d+%d extents, seed %" PRIu64 "\n",
	       cg_kernel_release(), o->seconds, o->procs, o->readers, o->workers,
	       " + writer", o->armed_extents, o->unarmed_extents, o->seed);
	printf("operations: %lu in %.1f s\n", total_ops, (double)s->elapsed_ms / 1000);
	for (int i = 0; i < OP_NR; i++)
		printf("  %-18s %10lu  (failed %lu)\n", op_names[i], ld(&G->ops[i]),
		       ld(&G->op_errors[i]));
	printf("MADV_COLLAPSE:");
	for (int i = 0; i < CR_NR; i++)
		printf(" %s %lu", collapse_result_names[i], ld(&G->collapse[i]));
	printf("\n  collapser, holey extents left without holes (committed): %lu",
	       ld(&G->collapses_committed));
	printf("\n  in armed children:");
	for (int i = 0; i < CR_NR; i++)
		printf(" %s %lu", collapse_result_names[i], ld(&G->child_collapse[i]));
	printf("\nkhugepaged (%s): pages_collapsed %s, full_scans %s; vmstat "
	       "thp_collapse_alloc %s, thp_collapse_alloc_failed %s\n",
	       s->khugepaged_tuned ? "tuned" : "not tuned",
	       plus(delta(s->after.khugepaged_pages_collapsed, s->before.khugepaged_pages_collapsed), b[0]),
	       plus(delta(s->after.khugepaged_full_scans, s->before.khugepaged_full_scans), b[1]),
	       plus(delta(s->after.thp_collapse_alloc, s->before.thp_collapse_alloc), b[2]),
	       plus(delta(s->after.thp_collapse_alloc_failed, s->before.thp_collapse_alloc_failed), b[3]));
	printf("pager: faults %lu, served %lu, EEXIST %lu, EAGAIN %lu, gone %lu; "
	       "fork events %lu, remap events %lu\n",
	       ld(&G->faults), ld(&G->served), ld(&G->copy_eexist), ld(&G->copy_eagain),
	       ld(&G->copy_gone), ld(&G->fork_events), ld(&G->remap_events));
	printf("pages checked: %lu\n", ld(&G->pages_checked));
	printf("integrity violations: %lu (zeroes %lu, other %lu; writer's pages lost %lu)\n",
	       ld(&G->violations), ld(&G->violations_zero), ld(&G->violations_garbage),
	       ld(&G->lost_writes));
	for (unsigned i = 0; i < nsamples; i++) {
		const struct violation_sample *v = &G->samples[i];

		printf("  violation: proc %d %s page %ld word %d read %#018" PRIx64
		       " (%s) at %lld ms\n", v->proc, who_name(v->who), v->page, v->word,
		       v->value, v->kind == PAGE_ZERO ? "zero" : "not the pager's", v->ms);
	}
	printf("internal errors: %lu%s\n", ld(&G->errors), s->stuck ? " (STUCK: threads did not stop)" : "");
	printf("result: %s\n", s->result);
	fflush(stdout);

	j = open_memstream(&json, &json_len);
	if (!j)
		return;
	stress_json(j, s, total_ops, nsamples);
	fclose(j);
	emit_json(o, json);
	free(json);
}
