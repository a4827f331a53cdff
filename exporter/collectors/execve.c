/*
 * execve: what was executed, by whom.
 *
 *   audit_execve_total{exe,uid}
 *
 * Only successful execve()/execveat() calls: the SYSCALL record's exe is
 * then the new program. No state beyond the family.
 */
#include "exporter/collectors/collector.h"

static const struct coll_fam execve_fams[] = { {
	.desc = {
		"audit_execve",
		"Successful execve()/execveat() calls by executable and real "
		"uid.",
		FAM_COUNTER,
		2,
		{ "exe", "uid" },
		0x3,
	},
	.folded_max = 1,
} };

static void execve_event(struct coll *c, const struct aev *e)
{
	struct fam_lv lv[2] = { { e->exe, e->exe_len },
				{ e->uid.p ? e->uid.p : "", e->uid.len } };

	if (e->success == 1)
		coll_count(c->ctx, c->fam[0], NULL, lv, e->t);
}

const struct coll_def coll_execve = {
	.name = "execve",
	.on = true,
	.classes = AEV_BIT(AEV_EXEC),
	COLL_FAMS(execve_fams),
	.event = execve_event,
};
