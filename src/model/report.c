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

/*
 * Which findings get a counterexample: in the race scenario every broken
 * property; in the other safety scenarios the first broken safety property
 * only; in the precision scenarios the refusal (and any safety breach).
 */
static bool wanted(const struct row *row, int sc, enum prop p)
{
	const struct result *r = &row->r[sc];

	if (!r->f[p].found)
		return false;
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
static int ids[64][NR_SCEN][NR_PROPS];

static void number(const struct row *rows, int n)
{
	int next = 1;

	memset(ids, 0, sizeof(ids));
	for (int i = 0; i < n && i < 64; i++)
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

void report_table(FILE *out, const struct row *rows, int n)
{
	unsigned long total = 0;
	double secs = 0;

	number(rows, n);
	fprintf(out,
		"%-33s %-6s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %-9s %-11s %-11s "
		"%-11s %7s %6s\n",
		"design", "safety", "race", "1-VMA", "edges", "big", "fault0s", "faults",
		"count", "strict", "below", "above", "full+armed", "states",
		"ms");
	for (int i = 0; i < n; i++) {
		const struct row *row = &rows[i];
		char name[64], race[16], one[16], edge[16], big[16], vis[16], fa[16],
			co[16], st[16], be[24], ab[24], fu[24];
		unsigned long states = 0;

		if (row->d->variant && (i == 0 || !rows[i - 1].d->variant))
			fprintf(out, "-- variant of design 5:\n");
		if (row->d->ablation && (i == 0 || !rows[i - 1].d->ablation))
			fprintf(out, "-- ablations of design 5 (must fail):\n");
		for (int s = 0; s < NR_SCEN; s++)
			states += row->r[s].states;
		total += states;
		secs += row->seconds;
		snprintf(name, sizeof(name), "%s %s", row->d->id, row->d->name);
		cell_ok(race, sizeof(race), scen_id(i, S_RACE), "ok", "FAIL");
		cell_ok(one, sizeof(one), scen_id(i, S_ONE), "ok", "FAIL");
		cell_ok(edge, sizeof(edge), scen_id(i, S_EDGE), "ok", "FAIL");
		cell_ok(big, sizeof(big), scen_id(i, S_BIG), "ok", "FAIL");
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
			"%-33s %-6s %-8s %-8s %-8s %-8s %-8s %-8s %-8s %-9s %-11s %-11s "
			"%-11s %7lu %6.1f\n",
			name, row_safe(row) ? "PASS" : "FAIL", race, one, edge, big, vis,
			fa, co, st, be, ab, fu, states, row->seconds * 1e3);
	}
	fprintf(out, "%-33s %129lu %6.1f\n", "total", total, secs * 1e3);
	fprintf(out,
		"\nsafety     = PASS iff no safety property breaks in any scenario:\n"
		"  zero-fill  %s\n"
		"  fault0s    %s\n"
		"  faults     %s\n"
		"  count      %s\n"
		"race, 1-VMA, edges, big = safety in that scenario (#N: its "
		"first broken property)\n"
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
	char desc[320], sum[160], who[32];

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

void report_states(FILE *out, const struct row *rows, int n)
{
	fprintf(out, "States (transitions) per scenario:\n%-9s", "design");
	for (int s = 0; s < NR_SCEN; s++)
		fprintf(out, " %16s", scenarios[s]->id);
	fprintf(out, "\n");
	for (int i = 0; i < n; i++) {
		fprintf(out, "%-9s", rows[i].d->id);
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
					p == P_NOREFUSE ? "refused, breaking"
							: "breaks",
					prop_name(p), r->f[p].len);
				report_trace(out, r, p, "  ");
				fprintf(out, "\n");
			}
}
