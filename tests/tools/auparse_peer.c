/*
 * auparse_peer: the replay peer for the bench, written the way a user of
 * libauparse (the audit project's own parsing library) would write the
 * exporter's core: iterate the events of a log, and for each connect()
 * count it by process name and uid, and collect its destination (the raw
 * saddr) in a set, for an exact distinct count.
 *
 *   auparse_peer FILE      prints "records=N events=E connects=C
 *                          label_sets=L distinct=D"
 *
 * auparse assembles events itself (by serial, with its end-of-event
 * timeout), reads fields with auparse_find_field, and keeps the whole
 * event's records; the peer adds nothing but the counting.
 */
#include <auparse.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct count {
	UT_hash_handle hh;
	unsigned long long n;
	char key[];
};

static unsigned long long add(struct count **set, const char *k)
{
	struct count *c;
	size_t len = strlen(k);

	HASH_FIND(hh, *set, k, len, c);
	if (!c) {
		c = calloc(1, sizeof(*c) + len + 1);
		if (!c) {
			perror("calloc");
			exit(1);
		}
		memcpy(c->key, k, len);
		HASH_ADD_KEYPTR(hh, *set, c->key, len, c);
	}
	return ++c->n;
}

static void free_set(struct count **set)
{
	struct count *c, *tmp;

	HASH_ITER(hh, *set, c, tmp)
	{
		HASH_DEL(*set, c);
		free(c);
	}
}

int main(int argc, char **argv)
{
	struct count *by_proc = NULL, *dests = NULL;
	unsigned long long records = 0, events = 0, connects = 0;
	auparse_state_t *au;

	if (argc != 2) {
		fprintf(stderr, "usage: auparse_peer FILE\n");
		return 2;
	}
	au = auparse_init(AUSOURCE_FILE, argv[1]);
	if (!au) {
		perror(argv[1]);
		return 1;
	}
	while (auparse_next_event(au) > 0) {
		const char *sys, *comm, *uid, *saddr;
		char key[512];

		events++;
		records += auparse_get_num_records(au);
		if (auparse_first_record(au) <= 0 ||
		    auparse_get_type(au) != AUDIT_SYSCALL)
			continue;
		/* auparse_find_field scans forward from the cursor, across
		 * records: ask in the order the fields are written */
		sys = auparse_find_field(au, "syscall");
		/* connect on x86_64 (42) */
		if (!sys || strcmp(sys, "42") != 0)
			continue;
		connects++;
		uid = auparse_find_field(au, "uid");
		snprintf(key, sizeof(key), "%s/", uid ? uid : "");
		comm = auparse_find_field(au, "comm");
		snprintf(key + strlen(key), sizeof(key) - strlen(key), "%s",
			 comm ? comm : "");
		add(&by_proc, key);
		saddr = auparse_find_field(au, "saddr");
		if (saddr)
			add(&dests, saddr);
	}
	printf("records=%llu events=%llu connects=%llu label_sets=%u "
	       "distinct=%u\n",
	       records, events, connects, HASH_COUNT(by_proc),
	       HASH_COUNT(dests));
	free_set(&by_proc);
	free_set(&dests);
	auparse_destroy(au);
	return 0;
}
