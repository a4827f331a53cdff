/* webcfg_int: what the files of the webcfg module (webcfg.c, webcfg_yaml.c,
 * webcfg_tls.c, webcfg_auth.c, webcfg_load.c) share; private, for them
 * alone. The public API is webcfg.h. */
#ifndef AE_EXPORTER_WEB_WEBCFG_INT_H
#define AE_EXPORTER_WEB_WEBCFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "exporter/web/webcfg.h"

#define WEBCFG_PATH_MAX 96 /* "tls_server_config.client_allowed_sans" */
#define WEBCFG_NCURVES 4 /* the curves the toolkit knows */

/* One parse: the document, the result, where the error goes, and the
 * lines of the keys that cross-checks report. */
struct wp {
	yaml_document_t *doc;
	struct webcfg *w;
	const char *origin;
	char *err;
	size_t errlen;
	unsigned long key_line; /* of the key whose value is being read */
	unsigned long tls_line, auth_line, sans_line, version_line;
	bool auth_set;
	size_t ncurves;
	const char *curves[WEBCFG_NCURVES];
};

typedef int (*wp_key_fn)(struct wp *p, size_t key, yaml_node_t *value,
			 const char *path);
typedef int (*wp_item_fn)(struct wp *p, const yaml_node_t *item,
			  const char *path, const char *text);

/* --- webcfg_yaml.c: strict reading of nodes -------------------------------
 * Each returns 0, -EINVAL with p->err set ("origin:line:column: path: why"),
 * or -ENOMEM. */

/* Writes the error for node n (NULL: no position) at path; -EINVAL. */
__attribute__((format(printf, 4, 5))) int webcfg_wp_fail(struct wp *p,
							 const yaml_node_t *n,
							 const char *path,
							 const char *fmt, ...);
/* True for YAML's null: an empty plain scalar, ~ or null. */
bool webcfg_wp_is_null(const yaml_node_t *n);
/* 1 if n is a mapping, 0 if it is null (nothing to read), else the error
 * for anything else, written. */
int webcfg_wp_mapping(struct wp *p, const yaml_node_t *n, const char *path);
/* The text of scalar n in *out (owned by the document); NULL for null. */
int webcfg_wp_text(struct wp *p, const yaml_node_t *n, const char *path,
		   const char **out);
/* Replaces *out by a copy of n's text; NULL for null or "". */
int webcfg_wp_string(struct wp *p, const yaml_node_t *n, const char *path,
		     char **out);
/* A YAML 1.1 boolean as yaml.v2 reads it; null keeps *out. */
int webcfg_wp_bool(struct wp *p, const yaml_node_t *n, const char *path,
		   bool *out);
/* The index in names[0..count) of n's text; null keeps *out. */
int webcfg_wp_enum(struct wp *p, const yaml_node_t *n, const char *path,
		   const char *const *names, size_t count, const char *what,
		   int *out);
/* The items of sequence n in [*start, *top); null is an empty one. */
int webcfg_wp_seq(struct wp *p, const yaml_node_t *n, const char *path,
		  yaml_node_item_t **start, yaml_node_item_t **top);
/* Walks mapping n (null: none) whose keys must be among names[0..count),
 * count <= 16: each key once, its value to fn with index and dotted path. */
int webcfg_wp_map(struct wp *p, yaml_node_t *n, const char *path,
		  const char *const *names, size_t count, wp_key_fn fn);
/* Calls fn with each item of a list of strings (null: an empty list). */
int webcfg_wp_list(struct wp *p, const yaml_node_t *n, const char *path,
		   wp_item_fn fn);

/* --- webcfg_tls.c, webcfg_auth.c: sections -------------------------------- */

/* Reads tls_server_config (value v) into p->w. */
int webcfg_wp_tls(struct wp *p, yaml_node_t *v, const char *path);
/* The checks across keys once the whole file is read, and the GnuTLS
 * priority string of the TLS settings. */
int webcfg_wp_finish(struct wp *p);
/* Reads basic_auth_users (value n) into p->w, with their costs. */
int webcfg_wp_users(struct wp *p, yaml_node_t *n, const char *path);

#endif
