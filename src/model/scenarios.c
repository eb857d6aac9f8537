/*
 * The bounded scenarios.  An extent of HPAGE_PMD_NR (512) indices is
 * modelled by a few indices; "start + 512" of the kernel is start + len.
 */
#include "model.h"

#define BIT(i) (1u << (i))

/*
 * Safety.  File indices 0..1, index 0 has a page, index 1 is a hole; the
 * collapse works on the extent [0..1].  Two mms, A and B, each map the
 * whole extent (vmas a and b), unarmed at the start.  The collapse may
 * have scanned either VMA (or the fork child's).  Concurrently:
 *   registrar A: register a, unregister a;  registrar B: same on b;
 *   fault A: touch index 1 through a, with pager A behind a's uffd;
 *   fork A: mm C gets c, a copy of a (UFFD_FEATURE_EVENT_FORK: armed if
 *   a is); exit C: c unlinked;  munmap B: b unlinked.
 */
const struct scenario sc_race = {
	.id = "race",
	.title = "2 mms + fork child, extent [0..1], hole at 1, all actors",
	.nidx = 2,
	.present = BIT(0),
	.start = 0,
	.len = 2,
	.nmm = 3,
	.mm_name = { "A", "B", "C" },
	.nvma = 3,
	.vma = {
		{ "a", 0, 0, 1, true, false },
		{ "b", 1, 0, 1, true, false },
		{ "c", 2, 0, 1, false, false },
	},
	.scan_cands = BIT(0) | BIT(1) | BIT(2),
	.nreg = 2,
	.reg_vma = { 0, 1 },
	.faulter = true,
	.fault_vma = 0,
	.fault_idx = 1,
	.fork = true,
	.fork_parent = 0,
	.fork_child = 2,
	.event_fork = true,
	.exit_child = true,
	.munmap_vma = 1,
};

/* The race scenario, larger: three indices with two holes, b maps only
 * the holes, and each registrar arms and disarms twice. */
const struct scenario sc_big = {
	.id = "big",
	.title = "race with extent [0..2], holes 1 and 2, b maps [1..2], "
		 "2 register rounds",
	.nidx = 3,
	.present = BIT(0),
	.start = 0,
	.len = 3,
	.nmm = 3,
	.mm_name = { "A", "B", "C" },
	.nvma = 3,
	.vma = {
		{ "a", 0, 0, 2, true, false },
		{ "b", 1, 1, 2, true, false },
		{ "c", 2, 0, 2, false, false },
	},
	.scan_cands = BIT(0) | BIT(1) | BIT(2),
	.nreg = 2,
	.reg_vma = { 0, 1 },
	.reg_cycles = 2,
	.faulter = true,
	.fault_vma = 0,
	.fault_idx = 2,
	.fork = true,
	.fork_parent = 0,
	.fork_child = 2,
	.event_fork = true,
	.exit_child = true,
	.munmap_vma = 1,
};

/* Safety with a single mm and VMA, no lifecycle: what is left is the race
 * between the collapse and the registration of the scanned VMA itself. */
const struct scenario sc_one_vma = {
	.id = "one-vma",
	.title = "1 mm, 1 vma, extent [0..1], hole at 1, register/fault/pager",
	.nidx = 2,
	.present = BIT(0),
	.start = 0,
	.len = 2,
	.nmm = 1,
	.mm_name = { "A" },
	.nvma = 1,
	.vma = { { "a", 0, 0, 1, true, false } },
	.scan_cands = BIT(0),
	.nreg = 1,
	.reg_vma = { 0 },
	.faulter = true,
	.fault_vma = 0,
	.fault_idx = 1,
	.munmap_vma = NO_VMA,
};

/*
 * Safety at the extent's edges.  Extent [2..4] of a file [0..6], holes at
 * 2 and 4 (its first and last index), a page at 3.  vma a (mm A) maps the
 * whole file, unarmed, and is the one scanned.  vma b (mm B) maps [0..2]
 * and vma c (mm C) maps [4..6]: each overlaps the extent by one index, a
 * hole.  Registrars B and C arm and disarm them; fault B touches index 2
 * through b, with pager B.  A walk that misses either end lets a hole be
 * zero-filled behind an armed VMA.
 */
const struct scenario sc_edge = {
	.id = "edges",
	.title = "extent [2..4], holes 2 and 4; vmas b [0..2], c [4..6] armed "
		 "in parallel",
	.nidx = 7,
	.present = BIT(0) | BIT(1) | BIT(3) | BIT(5) | BIT(6),
	.start = 2,
	.len = 3,
	.nmm = 3,
	.mm_name = { "A", "B", "C" },
	.nvma = 3,
	.vma = {
		{ "a", 0, 0, 6, true, false },
		{ "b", 1, 0, 2, true, false },
		{ "c", 2, 4, 6, true, false },
	},
	.scan_cands = BIT(0),
	.nreg = 2,
	.reg_vma = { 1, 2 },
	.faulter = true,
	.fault_vma = 1,
	.fault_idx = 2,
	.munmap_vma = NO_VMA,
};

/*
 * Issue 10: what the pager of another mapping sees of a collapse.  Extent
 * [0..1], a page at 0 and a hole at 1.  vma a (mm A) maps it, unarmed,
 * and is the one scanned; vma b (mm B) maps it too.  Registrar B arms b
 * and disarms it again.  Everything else of mm B targets hole 1 through b:
 * a fault (with its pager), a background UFFDIO_COPY while b is
 * registered (post-copy migration), and an observer that asks the page
 * cache (lseek/mincore) while b is registered.
 */
const struct scenario sc_pager = {
	.id = "pager",
	.title = "extent [0..1], hole at 1; mm B registers b, then faults, "
		 "copies and lseeks index 1",
	.nidx = 2,
	.present = BIT(0),
	.start = 0,
	.len = 2,
	.nmm = 2,
	.mm_name = { "A", "B" },
	.nvma = 2,
	.vma = {
		{ "a", 0, 0, 1, true, false },
		{ "b", 1, 0, 1, true, false },
	},
	.scan_cands = BIT(0),
	.nreg = 1,
	.reg_vma = { 1 },
	.faulter = true,
	.fault_vma = 1,
	.fault_idx = 1,
	.munmap_vma = NO_VMA,
	.copier = true,
	.copy_vma = 1,
	.copy_idx = 1,
	.observer = true,
	.obs_vma = 1,
	.obs_idx = 1,
};

/*
 * Precision.  Three extents of 2 indices: [0..1] [2..3] [4..5], each with
 * a page at its first index and a hole at its second.  vma a (mm A) maps
 * all of them, unarmed, and is the one scanned; vma b (mm B) maps only
 * extent 1 and is armed (it may see hole 3 missing).  Collapse extent 0
 * (just below the armed one) or extent 2 (above it).  No VMA that is armed
 * maps extent 0 or 2, so a precise design collapses both.
 */
#define PRECISION(ID, TITLE, START)                                           \
	{                                                                      \
		.id = ID, .title = TITLE, .nidx = 6,                           \
		.present = BIT(0) | BIT(2) | BIT(4), .start = START,           \
		.len = 2, .nmm = 2, .mm_name = { "A", "B" }, .nvma = 2,         \
		.vma = { { "a", 0, 0, 5, true, false },                        \
			 { "b", 1, 2, 3, true, true } },                       \
		.scan_cands = BIT(0), .munmap_vma = NO_VMA,                    \
	}

const struct scenario sc_below = PRECISION(
	"below", "collapse [0..1]; armed vma b maps only [2..3]", 0);
const struct scenario sc_above = PRECISION(
	"above", "collapse [4..5]; armed vma b maps only [2..3]", 4);

/* A fully populated extent behind an armed VMA: nothing would be
 * zero-filled, so nothing forbids the collapse. */
const struct scenario sc_full = {
	.id = "full",
	.title = "extent [0..1] fully populated, its only vma a armed",
	.nidx = 2,
	.present = BIT(0) | BIT(1),
	.start = 0,
	.len = 2,
	.nmm = 1,
	.mm_name = { "A" },
	.nvma = 1,
	.vma = { { "a", 0, 0, 1, true, true } },
	.scan_cands = BIT(0),
	.munmap_vma = NO_VMA,
};

const struct scenario *const scenarios[NR_SCEN] = {
	[S_RACE] = &sc_race,
	[S_ONE] = &sc_one_vma,
	[S_EDGE] = &sc_edge,
	[S_BIG] = &sc_big,
	[S_PAGER] = &sc_pager,
	[S_BELOW] = &sc_below,
	[S_ABOVE] = &sc_above,
	[S_FULL] = &sc_full,
};
