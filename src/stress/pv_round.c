#define _GNU_SOURCE
#include "pv_round.h"
#include "cg_uffd.h"
#include "content.h"
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned long file_index(const struct pv_round *r, unsigned page)
{
	return (unsigned long)r->extent * EXTENT_PAGES + page;
}

static int64_t since_go(const struct pv_round *r)
{
	return (int64_t)(now_ns() - r->go_abs_ns);
}

/* The round's extent in the mapping of the whole file. */
static char *extent_in(char *map, const struct pv_round *r)
{
	return map + (size_t)r->extent * CG_EXTENT_SIZE;
}

int pv_prepare_extent(struct pv_file *f, struct pv_round *r)
{
	off_t start = (off_t)r->extent * (off_t)CG_EXTENT_SIZE;
	unsigned char present[EXTENT_PAGES];
	long holes;

	if (fallocate(f->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, CG_EXTENT_SIZE))
		return -errno;
	for (unsigned page = 0; page < EXTENT_PAGES; page += 2) {
		cg_stamp_fill(f->page_buf, PAGE_SZ,
			      cg_stamp(PAGER_MAGIC, (unsigned)r->number, file_index(r, page)));
		if (pwrite(f->memfd, f->page_buf, PAGE_SZ, start + (off_t)(page * PAGE_SZ)) !=
		    (ssize_t)PAGE_SZ)
			return -errno;
	}
	holes = cg_mincore_holes(extent_in(f->collapse_map, r), EXTENT_PAGES, present);
	if (holes < 0)
		return (int)holes;
	for (unsigned page = 0; page < EXTENT_PAGES; page++)
		if (present[page] != (page % 2 == 0))
			return 1;
	r->holes_before = holes;
	return 0;
}

/* The pipe keeps a reference to the page until pv_finish() reads it. */
static int pin_page(struct pv_file *f, struct pv_round *r)
{
	struct iovec page = {
		.iov_base = extent_in(f->pin_map, r) + PV_PINNED_PAGE * PAGE_SZ,
		.iov_len = PAGE_SZ,
	};

	return vmsplice(f->pin_pipe[1], &page, 1, 0) == (ssize_t)PAGE_SZ ? 0 : -errno;
}

void pv_pager_race(struct pv_file *f, struct pv_round *r)
{
	char *mine = f->pager_map[r->extent];
	long mincore_hole;
	int err, seek_hole;

	r->register_start = r->register_end = r->observed_at = r->copy_end = INT64_MIN;
	r->pinned_at = INT64_MIN;
	r->register_err = r->copy_err = 0;
	r->seek_saw_hole = r->mincore_saw_hole = false;
	/* Busy wait: the delays are shorter than a scheduler tick. */
	while (now_ns() - r->delay_from_abs < r->delay_ns)
		;
	if (r->pinned) {
		r->pin_err = -pin_page(f, r);
		r->pinned_at = since_go(r);
	}
	r->register_start = since_go(r);
	err = cg_uffd_register_missing(f->uffd, mine, CG_EXTENT_SIZE);
	r->register_end = since_go(r);
	if (err) {
		r->register_err = -err;
		return;
	}
	/* mincore() looks at the observed page only; lseek() walks on from it. */
	mincore_hole = cg_mincore_holes(mine + (size_t)r->observed * PAGE_SZ, 1, NULL);
	seek_hole = cg_page_is_hole(f->memfd, (off_t)(file_index(r, r->observed) * PAGE_SZ));
	r->observed_at = since_go(r);
	r->mincore_saw_hole = mincore_hole == 1;
	r->seek_saw_hole = seek_hole == 1;
	if (mincore_hole < 0 || seek_hole < 0)
		r->judge_disagrees = true;

	cg_stamp_fill(f->page_buf, PAGE_SZ,
		      cg_stamp(PAGER_MAGIC, (unsigned)r->number, file_index(r, r->copied)));
	err = cg_uffd_copy(f->uffd, (uintptr_t)(mine + (size_t)r->copied * PAGE_SZ), f->page_buf,
			   PAGE_SZ);
	r->copy_end = since_go(r);
	r->copy_err = -err;
}

/* Whether the page is a hole by both lseek and mincore (present[]). */
static bool hole_after(struct pv_file *f, struct pv_round *r, unsigned page,
		       const unsigned char *present)
{
	int seek_hole = cg_page_is_hole(f->memfd, (off_t)(file_index(r, page) * PAGE_SZ));

	/* lseek and mincore disagree when lseek's hole is mincore's resident page. */
	if (seek_hole < 0 || seek_hole == present[page])
		r->judge_disagrees = true;
	return !present[page];
}

static bool all_zero(const uint64_t *page)
{
	for (unsigned long w = 0; w < PAGE_SZ / sizeof(*page); w++)
		if (page[w])
			return false;
	return true;
}

static void content_problem(struct pv_round *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void content_problem(struct pv_round *r, const char *fmt, ...)
{
	va_list ap;

	if (r->content_bad)
		return;		/* the first one tells */
	r->content_bad = true;
	va_start(ap, fmt);
	vsnprintf(r->content_detail, sizeof(r->content_detail), fmt, ap);
	va_end(ap);
}

/*
 * Even pages keep the pager's content; a page the pager copied holds its
 * copy; every other odd page reads zero (a hole, or the collapse's fill);
 * and the collapse either filled every hole or none (the copied one aside).
 */
static void check_content(struct pv_file *f, struct pv_round *r)
{
	off_t start = (off_t)r->extent * (off_t)CG_EXTENT_SIZE;
	bool copied = r->race && r->register_err == 0 && r->copy_err == 0;
	long untouched = r->holes_before - (copied ? 1 : 0);

	if (r->holes_after != 0 && r->holes_after != untouched)
		content_problem(r, "%ld of %ld holes left: filled without a commit",
				r->holes_after, r->holes_before);
	if (pread(f->memfd, f->extent_buf, CG_EXTENT_SIZE, start) != (ssize_t)CG_EXTENT_SIZE) {
		content_problem(r, "pread of the extent: %s", errno_name(errno));
		return;
	}
	for (unsigned page = 0; page < EXTENT_PAGES; page++) {
		const uint64_t *p = f->extent_buf + page * (PAGE_SZ / sizeof(uint64_t));
		unsigned long index = file_index(r, page);
		int word;
		uint64_t value;

		if (page % 2 == 0 || (copied && page == r->copied)) {
			if (check_buffer(p, PAGER_MAGIC, index, &word, &value) != PAGE_OK)
				content_problem(r, "page %lu (%s) word %d reads %#llx, not the "
						"pager's", index, page % 2 ? "copied" : "populated",
						word, (unsigned long long)value);
		} else if (!all_zero(p)) {
			content_problem(r, "hole %lu reads non-zero", index);
		}
	}
}

void pv_judge(struct pv_file *f, struct pv_round *r)
{
	unsigned char present[EXTENT_PAGES];

	r->holes_after = cg_mincore_holes(extent_in(f->collapse_map, r), EXTENT_PAGES, present);
	if (r->holes_after < 0) {
		r->judge_disagrees = true;
		return;
	}
	r->observed_hole_after = hole_after(f, r, r->observed, present);
	r->copied_hole_after = hole_after(f, r, r->copied, present);
	check_content(f, r);
}

int pv_finish(struct pv_file *f, struct pv_round *r)
{
	int err = 0;

	if (r->race && !r->register_err)
		err = cg_uffd_unregister(f->uffd, f->pager_map[r->extent], CG_EXTENT_SIZE);
	if (r->pinned && r->pin_err && !err)
		err = -r->pin_err;
	/* Reading the pipe drops its reference to the pinned page. */
	if (r->pinned && !r->pin_err &&
	    read(f->pin_pipe[0], f->page_buf, PAGE_SZ) != (ssize_t)PAGE_SZ && !err)
		err = -EIO;
	return err;
}
