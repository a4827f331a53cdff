/*
 * skey: the key that hashes connection destinations into the sketches.
 *
 * A keyed hash (SipHash) means a process cannot choose destinations whose
 * hashes fool the unique counts: without the key it cannot predict which
 * register an address lands in. The key lives in a file so that restarts
 * and, when it is copied to every host, a whole fleet hash alike, which is
 * what lets per-host sketches be merged into fleet-wide counts.
 *
 * Format: 32 lower-case hex digits (k0 then k1, big-endian digits) and a
 * newline. Created with O_EXCL, so two exporters starting at once cannot
 * both write it; the loser reads the winner's key.
 */
#include "exporter/skey.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlink/arec.h"

int skey_random(struct hash_key *key)
{
	uint64_t k[2];
	ssize_t n = getrandom(k, sizeof(k), 0);

	if (n != (ssize_t)sizeof(k))
		return n < 0 ? -errno : -EIO;
	key->k0 = k[0];
	key->k1 = k[1];
	return 0;
}

static int skey_parse(const char *text, size_t len, struct hash_key *key)
{
	uint64_t k[2] = { 0, 0 };

	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		       text[len - 1] == ' '))
		len--;
	if (len != 32 || arec_u64_hex(text, 16, &k[0]) ||
	    arec_u64_hex(text + 16, 16, &k[1]))
		return -EINVAL;
	key->k0 = k[0];
	key->k1 = k[1];
	return 0;
}

static int skey_read(const char *path, struct hash_key *key)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return skey_parse(buf, (size_t)n, key);
}

int skey_load(const char *path, struct hash_key *key, bool *created)
{
	char text[40], dir[4096];
	int fd, rc;

	*created = false;
	rc = skey_read(path, key);
	if (rc != -ENOENT)
		return rc;
	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	if (mkdir(dirname(dir), 0700) && errno != EEXIST)
		return -errno;
	rc = skey_random(key);
	if (rc)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? skey_read(path, key) : -errno;
	snprintf(text, sizeof(text), "%016llx%016llx\n",
		 (unsigned long long)key->k0, (unsigned long long)key->k1);
	if (write(fd, text, 33) != 33 || fsync(fd)) {
		rc = -errno;
		close(fd);
		unlink(path);
		return rc ? rc : -EIO;
	}
	close(fd);
	*created = true;
	return 0;
}
