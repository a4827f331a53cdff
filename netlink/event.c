/*
 * event: an assembled audit event (netlink/asm) decoded once into one typed
 * event (struct aev) that the collectors read; nothing past this file
 * reads audit record text.
 *
 * A syscall event is its SYSCALL record (read first, wherever it stands:
 * its arch says the byte order of a SOCKADDR) and the auxiliary records
 * that matter here: SOCKADDR (the process's raw sockaddr, whose sa_family
 * is in the byte order of the SYSCALL record's arch; s390x and ppc64 are
 * big-endian), SOCKETCALL (the real arguments of i386 socketcall(2)) and
 * PATH (counted, and the first AEV_MAX_PATHS kept: aev_path decodes a
 * name on demand, so events nobody asks about pay nothing for it) and CWD
 * (kept the same way: aev_cwd, the directory a relative PATH name is
 * relative to). An event without a SYSCALL record is not a syscall
 * event; if it has syscall parts (SOCKADDR, PATH, EXECVE, CWD) the
 * SYSCALL record was lost, which is counted.
 *
 * System calls are named by libaudit from (arch, number), so x86_64 and
 * i386 both work; i386 programs may reach the socket calls through
 * socketcall(2), whose first argument selects the call (1 socket, 2 bind, 3
 * connect, 4 listen) and whose SOCKETCALL record holds the real
 * arguments. Older kernels (the 2006 logs of selinux's sepolgen tests)
 * wrote no SOCKETCALL record: the call is then still known, with the
 * socket's fd unknown (have_fd false). Names are cached per (machine,
 * number): AEV_MACHINES x AEV_NR_CACHE entries, 384 KiB, allocated once.
 *
 * Bounds: comm and exe are unescaped into AEV_STR_MAX bytes (a label's
 * longest, so nothing a label could show is lost), the key list into
 * AEV_KEY_MAX; longer values are truncated. ppid, uid, auid, euid are
 * views into the record. Nothing is allocated per event.
 *
 * Counted (aev_stats): a numeric field (syscall, arch, exit, a0-a3, pid,
 * SOCKETCALL's a0-a5) that is not a number, a saddr that does not parse
 * (by reason), tokens that are not name=value, an unknown arch, a lost
 * SYSCALL record. ppid, uid, auid and euid are views, not parsed: a
 * collector that needs a number parses it (and counts what fails).
 *
 * Threads: the reader thread, which owns the decoder.
 */
#include "netlink/event.h"

#include <errno.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AEV_NR_CACHE 1024 /* syscall numbers cached per machine */
#define AEV_MACHINES 16 /* libaudit machine ids cached */

struct aev_sysname {
	const char *name;
	uint8_t class;
	bool socketcall;
	bool known;
};

struct aev_decoder {
	struct aev_stats stats;
	struct aev_sysname sysnames[AEV_MACHINES][AEV_NR_CACHE];
};

struct aev_decoder *aev_decoder_new(void)
{
	return calloc(1, sizeof(struct aev_decoder));
}

void aev_decoder_free(struct aev_decoder *d)
{
	free(d);
}

const struct aev_stats *aev_stats(const struct aev_decoder *d)
{
	return &d->stats;
}

/* ---- syscall names --------------------------------------------------------- */

static enum aev_class aev_class_of(const char *name, bool *socketcall)
{
	*socketcall = false;
	if (!name)
		return AEV_OTHER;
	if (!strcmp(name, "connect"))
		return AEV_CONNECT;
	if (!strcmp(name, "bind"))
		return AEV_BIND;
	if (!strcmp(name, "listen"))
		return AEV_LISTEN;
	if (!strcmp(name, "execve") || !strcmp(name, "execveat"))
		return AEV_EXEC;
	if (!strcmp(name, "socket"))
		return AEV_SOCKET;
	if (!strcmp(name, "socketcall"))
		*socketcall = true;
	return AEV_OTHER;
}

static void aev_name_syscall(struct aev_decoder *d, struct aev *e)
{
	int machine = audit_elf_to_machine((unsigned int)e->arch);
	struct aev_sysname *c = NULL;
	bool socketcall = false;

	e->sysname = NULL;
	e->class = AEV_OTHER;
	if (machine < 0) {
		d->stats.unknown_arch++;
	} else {
		if (machine < AEV_MACHINES && e->nr >= 0 &&
		    e->nr < AEV_NR_CACHE) {
			c = &d->sysnames[machine][e->nr];
			if (c->known) {
				e->sysname = c->name;
				e->class = (enum aev_class)c->class;
				socketcall = c->socketcall;
			}
		}
		if (!c || !c->known) {
			e->sysname = audit_syscall_to_name((int)e->nr, machine);
			e->class = aev_class_of(e->sysname, &socketcall);
			if (c) {
				c->name = e->sysname;
				c->class = (uint8_t)e->class;
				c->socketcall = socketcall;
				c->known = true;
			}
		}
	}
	if (!e->sysname) {
		snprintf(e->nrbuf, sizeof(e->nrbuf), "%lld", (long long)e->nr);
		e->sysname = e->nrbuf;
		e->sysname_numeric = true;
	}
	if (socketcall) {
		/* socketcall(call, args): the SOCKETCALL record holds the
		 * call's own arguments */
		e->via_socketcall = true;
		switch (e->a[0]) {
		case 1:
			e->class = AEV_SOCKET;
			break;
		case 2:
			e->class = AEV_BIND;
			break;
		case 3:
			e->class = AEV_CONNECT;
			break;
		case 4:
			e->class = AEV_LISTEN;
			break;
		default:
			e->class = AEV_OTHER;
		}
	}
}

/* ---- fields ---------------------------------------------------------------- */

#define NAME_IS(f, lit) AREC_NAME_IS(f, lit)

static void aev_num_hex(struct aev_decoder *d, const struct arec_field *f,
			uint64_t *out)
{
	if (arec_u64_hex(f->value, f->value_len, out))
		d->stats.arec[-AREC_E_NUMBER]++;
}

static void aev_num_dec(struct aev_decoder *d, const struct arec_field *f,
			uint64_t *out)
{
	if (arec_u64_dec(f->value, f->value_len, out))
		d->stats.arec[-AREC_E_NUMBER]++;
}

static void aev_view(struct aev_view *v, const struct arec_field *f)
{
	v->p = f->value;
	v->len = f->value_len;
}

/* The SYSCALL record's four-letter fields, told apart by their first
 * letter first (nine of them stand in every record). */
static void aev_field4(struct aev_decoder *d, const struct arec_field *f,
		       struct aev *e)
{
	switch (f->name[0]) {
	case 'a':
		if (NAME_IS(f, "arch"))
			aev_num_hex(d, f, &e->arch);
		else if (NAME_IS(f, "auid"))
			aev_view(&e->auid, f);
		break;
	case 'c':
		if (NAME_IS(f, "comm"))
			e->comm_len = arec_decode_string(f, e->comm,
							 sizeof(e->comm), NULL);
		break;
	case 'e':
		if (NAME_IS(f, "exit")) {
			if (arec_i64_dec(f->value, f->value_len, &e->exit) == 0)
				e->have_exit = true;
			else
				d->stats.arec[-AREC_E_NUMBER]++;
		} else if (NAME_IS(f, "euid"))
			aev_view(&e->euid, f);
		break;
	case 'p':
		if (NAME_IS(f, "ppid"))
			aev_view(&e->ppid, f);
		break;
	default:
		break;
	}
}

static void aev_syscall_fields(struct aev_decoder *d,
			       const struct asm_record *r, struct aev *e)
{
	struct arec_iter it;
	struct arec_field f;
	uint64_t u;

	arec_iter_init(&it, r->body, r->len);
	while (arec_iter_next(&it, &f)) {
		switch (f.name_len) {
		case 2:
			if (f.name[0] == 'a' && f.name[1] >= '0' &&
			    f.name[1] <= '3')
				aev_num_hex(d, &f, &e->a[f.name[1] - '0']);
			break;
		case 3:
			if (NAME_IS(&f, "pid"))
				aev_num_dec(d, &f, &e->pid);
			else if (NAME_IS(&f, "uid"))
				aev_view(&e->uid, &f);
			else if (NAME_IS(&f, "exe"))
				e->exe_len = arec_decode_string(
					&f, e->exe, sizeof(e->exe), NULL);
			else if (NAME_IS(&f, "key")) {
				bool isnull;

				e->key_len = arec_decode_string(
					&f, e->key, sizeof(e->key), &isnull);
				if (e->key_len > sizeof(e->key))
					e->key_len = sizeof(e->key);
				e->have_key = !isnull && e->key_len > 0;
			}
			break;
		case 4:
			aev_field4(d, &f, e);
			break;
		case 7:
			if (NAME_IS(&f, "syscall")) {
				if (arec_u64_dec(f.value, f.value_len, &u) ||
				    u > INT32_MAX)
					d->stats.arec[-AREC_E_NUMBER]++;
				else
					e->nr = (int64_t)u;
			} else if (NAME_IS(&f, "success"))
				e->success = f.value_len == 3 &&
					     !memcmp(f.value, "yes", 3);
			break;
		default:
			break;
		}
	}
	if (e->comm_len > sizeof(e->comm))
		e->comm_len = sizeof(e->comm);
	if (e->exe_len > sizeof(e->exe))
		e->exe_len = sizeof(e->exe);
	d->stats.tokens += it.skipped;
}

static void aev_aux_fields(struct aev_decoder *d, const struct asm_record *r,
			   struct aev *e)
{
	struct arec_iter it;
	struct arec_field f;

	arec_iter_init(&it, r->body, r->len);
	while (arec_iter_next(&it, &f)) {
		if (r->type == AUDIT_SOCKADDR && NAME_IS(&f, "saddr")) {
			/* the SYSCALL record was read first: its arch
			 * says the byte order, wherever SOCKADDR came */
			int rc = arec_sockaddr_parse(
				f.value, f.value_len,
				arec_arch_big_endian(e->arch), &e->sa);

			if (rc == 0)
				e->have_sa = true;
			else if (rc < 0 && rc > -AREC_NERR)
				d->stats.arec[-rc]++;
			else
				d->stats.arec[-AREC_E_HEADER]++;
		} else if (r->type == AUDIT_SOCKETCALL && f.name_len == 2 &&
			   f.name[0] == 'a' && f.name[1] >= '0' &&
			   f.name[1] <= '5') {
			unsigned i = (unsigned)(f.name[1] - '0');

			aev_num_hex(d, &f, &e->sc[i]);
			if (i + 1 > e->sc_n)
				e->sc_n = i + 1;
		}
	}
	d->stats.tokens += it.skipped;
}

/* ---- the event ------------------------------------------------------------- */

bool aev_decode(struct aev_decoder *d, const struct asm_event *ev,
		struct aev *e)
{
	const struct asm_record *sys = NULL;
	bool syscall_parts = false;

	for (unsigned i = 0; i < ev->nrec; i++) {
		int t = ev->rec[i].type;

		if (t == AUDIT_SYSCALL && !sys)
			sys = &ev->rec[i];
		else if (t == AUDIT_SOCKADDR || t == AUDIT_PATH ||
			 t == AUDIT_EXECVE || t == AUDIT_CWD)
			syscall_parts = true;
	}
	if (!sys) {
		if (syscall_parts)
			d->stats.no_syscall++;
		return false;
	}
	memset(e, 0, offsetof(struct aev, sa));
	e->success = -1;
	e->t = ev->time_ms;
	aev_syscall_fields(d, sys, e);
	for (unsigned i = 0; i < ev->nrec; i++) {
		int t = ev->rec[i].type;

		if (t == AUDIT_SOCKADDR || t == AUDIT_SOCKETCALL)
			aev_aux_fields(d, &ev->rec[i], e);
		else if (t == AUDIT_PATH && e->npath++ < AEV_MAX_PATHS)
			e->path[e->npath - 1] = &ev->rec[i];
		else if (t == AUDIT_CWD && !e->cwd)
			e->cwd = &ev->rec[i];
	}
	aev_name_syscall(d, e);
	e->have_fd = !e->via_socketcall || e->sc_n > 0;
	e->fd = e->via_socketcall ? e->sc[0] : e->a[0];
	e->watch_candidate = e->npath > 0 && e->class == AEV_OTHER;
	e->classes = AEV_BIT(e->class) | (e->have_key ? AEV_KEYED : 0);
	return true;
}

int aev_path(const struct aev *e, unsigned i, struct aev_path *p)
{
	struct arec_iter it;
	struct arec_field f;

	if (i >= e->npath || i >= AEV_MAX_PATHS)
		return -ENOENT;
	memset(p, 0, offsetof(struct aev_path, name));
	arec_iter_init(&it, e->path[i]->body, e->path[i]->len);
	while (arec_iter_next(&it, &f)) {
		if (NAME_IS(&f, "name")) {
			bool isnull;

			p->name_len = arec_decode_string(
				&f, p->name, sizeof(p->name), &isnull);
			if (p->name_len > sizeof(p->name))
				p->name_len = sizeof(p->name);
			p->have_name = !isnull;
		} else if (NAME_IS(&f, "nametype")) {
			aev_view(&p->nametype, &f);
		}
	}
	return 0;
}

int aev_cwd(const struct aev *e, char *buf, size_t cap)
{
	struct arec_iter it;
	struct arec_field f;

	if (!e->cwd)
		return -ENOENT;
	arec_iter_init(&it, e->cwd->body, e->cwd->len);
	while (arec_iter_next(&it, &f)) {
		if (NAME_IS(&f, "cwd")) {
			bool isnull;
			size_t n = arec_decode_string(&f, buf, cap, &isnull);

			if (isnull)
				return -ENOENT;
			return (int)(n > cap ? cap : n);
		}
	}
	return -ENOENT;
}

uint32_t aev_id(struct aev_view v)
{
	uint64_t n;

	/* ten digits at most, as the kernel writes a u32: a longer run of
	 * leading zeros is not an id */
	if (!v.p || v.len > 10 || arec_u64_dec(v.p, v.len, &n))
		return UINT32_MAX;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}
