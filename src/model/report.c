/*
 * Human output: the scenarios, the design x property table, and the
 * shortest counterexample of every property a design breaks, replayed step
 * by step from the initial state.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

static const enum prop safety_props[] = { P_ZEROFILL, P_VISIBLE, P_FAULTS,
					  P_INVARIANT };
#define NR_SAFETY (sizeof(safety_props) / sizeof(safety_props[0]))

static bool is_issue10_prop(enum prop p)
{
	return p == P_EEXIST || p == P_WAIT || p == P_OBSERVED;
}

/* The scenario with the shortest counterexample of @p (the first such in
 * scenario order), or -1. */
static int shortest_scenario(const struct row *row, enum prop p)
{
	int best = -1;

	for (int s = 0; s < NR_SCEN; s++)
		if (row->r[s].f[p].found &&
		    (best < 0 || row->r[s].f[p].len < row->r[best].f[p].len))
			best = s;
	return best;
}

/*
 * Which findings get a counterexample: in the race scenario every broken
 * safety property; in the other safety scenarios the first broken safety
 * property only; in the precision scenarios the refusal (and any safety
 * breach); for each property of issue 10 the shortest over all scenarios.
 */
static bool wanted(const struct row *row, int sc, enum prop p)
{
	const struct result *r = &row->r[sc];

	if (!r->f[p].found)
		return false;
	if (is_issue10_prop(p))
		return shortest_scenario(row, p) == sc;
	if (p == P_GIVES_UP) /* witness: designs only, pager scenario */
		return !row->d->of && sc == S_PAGER;
	if (p == P_NOREFUSE)
		return sc == S_BELOW || sc == S_ABOVE || sc == S_FULL;
	if (p == P_STRICT)
		return sc == S_RACE;
	if (sc == S_RACE)
		return true;
	for (size_t k = 0; k < NR_SAFETY; k++)
		if (r->f[safety_props[k]].found)
			return safety_props[k] == p;
	return false;
}

/* Counterexample numbers, in the order they are printed. */
#define MAX_ROWS 64
static int ids[MAX_ROWS][NR_SCEN][NR_PROPS];

static void number(const struct row *rows, int n)
{
	int next = 1;

	memset(ids, 0, sizeof(ids));
	for (int i = 0; i < n && i < MAX_ROWS; i++)
		for (int s = 0; s < NR_SCEN; s++)
			for (int p = 0; p < NR_PROPS; p++)
				if (wanted(&rows[i], s, p))
					ids[i][s][p] = next++;
}

static void cell_ok(char *buf, size_t n, int id, const char *good,
		    const char *bad)
{
	if (id)
		snprintf(buf, n, "%s #%d", bad, id);
	else
		snprintf(buf, n, "%s", good);
}

/* First counterexample id of @p over all scenarios of row @i. */
static int any_id(int i, enum prop p)
{
	for (int s = 0; s < NR_SCEN; s++)
		if (ids[i][s][p])
			return ids[i][s][p];
	return 0;
}

static void precision_cell(char *buf, size_t n, const struct result *r, int id)
{
	if (id)
		snprintf(buf, n, "REFUSES #%d", id);
	else if (r->committed_somewhere)
		snprintf(buf, n, "collapses");
	else
		snprintf(buf, n, "?");
}

void report_scenarios(FILE *out)
{
	fprintf(out, "Scenarios (bounded; every interleaving explored):\n");
	for (int s = 0; s < NR_SCEN; s++)
		fprintf(out, "  %-8s %s\n", scenarios[s]->id, scenarios[s]->title);
	fprintf(out, "\n");
}

/* Safety of one scenario: first counterexample id, else 0. */
static int scen_id(int i, int sc)
{
	for (size_t k = 0; k < NR_SAFETY; k++)
		if (ids[i][sc][safety_props[k]])
			return ids[i][sc][safety_props[k]];
	return 0;
}

/* "-- variant of design 5:" and the like, when the group changes. */
static void group_header(FILE *out, const struct row *rows, int i)
{
	const struct design *d = rows[i].d, *prev = i ? rows[i - 1].d : NULL;

	if (!d->of)
		return;
	if (prev && prev->of && !strcmp(prev->of, d->of) &&
	    prev->variant == d->variant)
		return;
	fprintf(out, "-- %s of design %s%s:\n",
		d->variant ? "variant" : "ablations", d->of,
		d->ablation ? " (must fail)" : "");
}

void report_table(FILE *out, const struct row *rows, int n)
{
	unsigned long total = 0;
	double secs = 0;

	number(rows, n);
	fprintf(out,
		"%-33s %-6s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %-9s %-11s "
		"%-11s %-11s %7s %6s\n",
		"design", "safety", "race", "1-VMA", "edges", "big", "pager",
		"fault0s", "faults", "count", "strict", "below", "above",
		"full+armed", "states", "cpu ms");
	for (int i = 0; i < n; i++) {
		const struct row *row = &rows[i];
		char name[64], race[16], one[16], edge[16], big[16], pg[16],
			vis[16], fa[16], co[16], st[16], be[24], ab[24], fu[24];
		unsigned long states = 0;

		group_header(out, rows, i);
		for (int s = 0; s < NR_SCEN; s++)
			states += row->r[s].states;
		total += states;
		secs += row->seconds;
		snprintf(name, sizeof(name), "%s %s", row->d->id, row->d->name);
		cell_ok(race, sizeof(race), scen_id(i, S_RACE), "ok", "FAIL");
		cell_ok(one, sizeof(one), scen_id(i, S_ONE), "ok", "FAIL");
		cell_ok(edge, sizeof(edge), scen_id(i, S_EDGE), "ok", "FAIL");
		cell_ok(big, sizeof(big), scen_id(i, S_BIG), "ok", "FAIL");
		cell_ok(pg, sizeof(pg), scen_id(i, S_PAGER), "ok", "FAIL");
		cell_ok(vis, sizeof(vis), any_id(i, P_VISIBLE), "ok", "FAIL");
		cell_ok(fa, sizeof(fa), any_id(i, P_FAULTS), "ok", "FAIL");
		if (row->d->invariant)
			cell_ok(co, sizeof(co), any_id(i, P_INVARIANT), "ok",
				"FAIL");
		else
			snprintf(co, sizeof(co), "-");
		cell_ok(st, sizeof(st), ids[i][S_RACE][P_STRICT], "ok", "fails");
		precision_cell(be, sizeof(be), &row->r[S_BELOW],
			       ids[i][S_BELOW][P_NOREFUSE]);
		precision_cell(ab, sizeof(ab), &row->r[S_ABOVE],
			       ids[i][S_ABOVE][P_NOREFUSE]);
		precision_cell(fu, sizeof(fu), &row->r[S_FULL],
			       ids[i][S_FULL][P_NOREFUSE]);
		fprintf(out,
			"%-33s %-6s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %-9s "
			"%-11s %-11s %-11s %7lu %6.1f\n",
			name, row_safe(row) ? "PASS" : "FAIL", race, one, edge, big,
			pg, vis, fa, co, st, be, ab, fu, states, row->seconds * 1e3);
	}
	fprintf(out, "%-33s %138lu %6.1f\n", "total", total, secs * 1e3);
	fprintf(out,
		"\nsafety     = PASS iff no safety property breaks in any scenario:\n"
		"  zero-fill  %s\n"
		"  fault0s    %s\n"
		"  faults     %s\n"
		"  count      %s\n"
		"race, 1-VMA, edges, big, pager = safety in that scenario (#N: "
		"its first broken property)\n"
		"fault0s, faults, count  = that property, over all scenarios\n"
		"strict     = %s\n"
		"             (race scenario; informative, see docs/model.md)\n"
		"below      = collapse of the extent just below the one an armed "
		"VMA maps\n"
		"above      = collapse of the extent just above it\n"
		"full+armed = collapse of a fully populated extent behind an "
		"armed VMA\n"
		"#N         = shortest counterexample N below\n\n",
		prop_name(P_ZEROFILL), prop_name(P_VISIBLE), prop_name(P_FAULTS),
		prop_name(P_INVARIANT), prop_name(P_STRICT));
}

static void stuck_reason(const struct model *m, const struct state *s,
			 char *buf, size_t n)
{
	size_t o = 0;

	o += snprintf(buf, n, "no actor can move, but");
	if (s->f_state != F_DONE && o < n)
		o += snprintf(buf + o, n - o, " the fault is %s;",
			      s->f_state == F_SLEEP ? "asleep" : "waiting");
	if (s->f_event && o < n)
		o += snprintf(buf + o, n - o, " an event is unread;");
	if (s->c_phase != CP_DONE && o < n)
		o += snprintf(buf + o, n - o, " the collapse is not done;");
	for (int r = 0; r < m->sc->nreg && o < n; r++)
		if (s->reg_pc[r] < reg_steps(m->sc))
			o += snprintf(buf + o, n - o, " registrar %d not done;", r);
	if (o < n && buf[o - 1] == ';')
		buf[o - 1] = '\0';
}

void report_trace(FILE *out, const struct result *r, enum prop p,
		  const char *indent)
{
	const struct finding *f = &r->f[p];
	struct model m = { .sc = r->sc, .d = r->d };
	struct state s;
	struct events ev = { 0 };
	char desc[400], sum[160], who[32];

	model_init(&m, &s);
	model_summary(&m, &s, sum, sizeof(sum));
	fprintf(out, "%s    start: %s\n", indent, sum);
	for (int k = 0; k < f->len; k++) {
		int a = f->steps[k].actor, c = f->steps[k].choice;

		desc[0] = '\0';
		if (!model_step(&m, &s, a, c, &ev, desc, sizeof(desc))) {
			fprintf(out, "%s    (replay failed at step %d)\n", indent,
				k + 1);
			return;
		}
		model_summary(&m, &s, sum, sizeof(sum));
		fprintf(out, "%s%3d. %s: %s\n%s           -> %s\n", indent, k + 1,
			actor_name(&m, a, who, sizeof(who)), desc, indent, sum);
	}
	switch (p) {
	case P_FAULTS:
		if (model_lost_wakeup(&m, &s))
			fprintf(out, "%s  => lost wake-up: the fault sleeps and no "
				     "event is left to serve\n",
				indent);
		else if (ev.bits & EV_LIVELOCK)
			fprintf(out, "%s  => %s\n", indent, ev.why);
		else {
			stuck_reason(&m, &s, desc, sizeof(desc));
			fprintf(out, "%s  => %s\n", indent, desc);
		}
		break;
	case P_EEXIST:
		for (int i = 0; i < m.sc->nidx; i++)
			if ((s.copy_eexist & (1u << i)) && s.pk[i] == PK_HOLE)
				fprintf(out,
					"%s  => the collapse is over (%s) and index "
					"%d is a hole, but UFFDIO_COPY got EEXIST "
					"for it: the pager was told of a page it "
					"never got\n",
					indent,
					s.c_outcome == O_REFUSED ? "refused"
								 : "not committed",
					i);
		break;
	case P_INVARIANT:
		fprintf(out,
			"%s  => count %d, but %d VMA(s) in i_mmap have "
			"VM_UFFD_MISSING\n",
			indent, s.count, count_armed_linked(&m, &s));
		break;
	default: {
		size_t l = strlen(ev.why);

		if (l >= 2 && !strcmp(ev.why + l - 2, "; "))
			ev.why[l - 2] = '\0';
		fprintf(out, "%s  => %s\n", indent, ev.why);
	}
	}
}

/* What the collapse does when a hole it recorded is filled meanwhile. */
static void on_filled_hole(char *buf, size_t n, const struct row *row, int i)
{
	if (row->d->fill_holes_early) {
		snprintf(buf, n, "can't be");
		return;
	}
	for (int s = 0; s < NR_SCEN; s++)
		if (row->r[s].gave_up_somewhere) {
			cell_ok(buf, n, ids[i][S_PAGER][P_GIVES_UP], "gives up",
				"gives up");
			return;
		}
	snprintf(buf, n, "overwrites");
}

/* The second table: issue 10's properties, over all scenarios. */
void report_invisible_table(FILE *out, const struct row *rows, int n)
{
	number(rows, n);
	fprintf(out, "%-33s %-9s %-9s %-9s %-9s %-11s\n", "design", "invisible",
		"eexist", "wait", "observed", "hole filled");
	for (int i = 0; i < n; i++) {
		const struct row *row = &rows[i];
		char name[64], ee[16], wa[16], ob[16], hf[24];

		group_header(out, rows, i);
		snprintf(name, sizeof(name), "%s %s", row->d->id, row->d->name);
		cell_ok(ee, sizeof(ee), any_id(i, P_EEXIST), "ok", "FAIL");
		cell_ok(wa, sizeof(wa), any_id(i, P_WAIT), "ok", "FAIL");
		cell_ok(ob, sizeof(ob), any_id(i, P_OBSERVED), "ok", "FAIL");
		on_filled_hole(hf, sizeof(hf), row, i);
		fprintf(out, "%-33s %-9s %-9s %-9s %-9s %-11s\n", name,
			row_invisible(row) ? "PASS" : "FAIL", ee, wa, ob, hf);
	}
	fprintf(out,
		"\ninvisible   = PASS iff none of these breaks in any scenario "
		"(issue 10: a refused collapse must be invisible to the pager):\n"
		"  eexist    %s\n"
		"  wait      %s\n"
		"  observed  %s\n"
		"hole filled = what the collapse does when a hole it recorded "
		"gets a page meanwhile\n"
		"              (can't be: the walk put the huge page there; gives "
		"up: SCAN_PAGE_FILLED,\n"
		"              #N: a witness run; overwrites: a zero-fill, see "
		"safety)\n"
		"page cache in traces: hole, new (the collapse's huge page, "
		"locked, not uptodate), retry,\n"
		"  or the data of a page (orig, pager, zero, ZEROFILL); /L = "
		"locked (uptodate)\n\n",
		prop_name(P_EEXIST), prop_name(P_WAIT), prop_name(P_OBSERVED));
}

void report_states(FILE *out, const struct row *rows, int n)
{
	fprintf(out, "States (transitions) per scenario:\n%-11s", "design");
	for (int s = 0; s < NR_SCEN; s++)
		fprintf(out, " %16s", scenarios[s]->id);
	fprintf(out, "\n");
	for (int i = 0; i < n; i++) {
		fprintf(out, "%-11s", rows[i].d->id);
		for (int s = 0; s < NR_SCEN; s++) {
			char cell[32];

			snprintf(cell, sizeof(cell), "%lu (%lu)",
				 rows[i].r[s].states, rows[i].r[s].transitions);
			fprintf(out, " %16s", cell);
		}
		fprintf(out, "\n");
	}
	fprintf(out, "\n");
}

void report_counterexamples(FILE *out, const struct row *rows, int n)
{
	number(rows, n);
	fprintf(out, "Shortest counterexamples (breadth-first: no shorter "
		     "interleaving breaks the property)\n\n");
	for (int i = 0; i < n; i++)
		for (int s = 0; s < NR_SCEN; s++)
			for (int p = 0; p < NR_PROPS; p++) {
				const struct result *r = &rows[i].r[s];

				if (!ids[i][s][p])
					continue;
				fprintf(out,
					"#%d  design %s (%s), scenario %s: %s "
					"\"%s\" in %d steps\n",
					ids[i][s][p], rows[i].d->id, rows[i].d->name,
					scenarios[s]->id,
					p == P_NOREFUSE	  ? "refused, breaking"
					: p == P_GIVES_UP ? "witness of"
							  : "breaks",
					prop_name(p), r->f[p].len);
				report_trace(out, r, p, "  ");
				fprintf(out, "\n");
			}
}
