/*
 * webcfg_yaml: reading the nodes of a libyaml document strictly, for the
 * schema walk of webcfg.c and its sections, as the toolkit's strict yaml.v2
 * decoding reads them: a wrong type, an unknown key or a key given twice is
 * an error that names file:line:column and the dotted path of the key
 * (tls_server_config.min_version). Null (an empty plain scalar, ~ or
 * null) keeps a default; booleans are YAML 1.1's. A schema mapping has at
 * most 16 keys. The walk goes only as deep as the schema's handlers take
 * it, whatever the document holds.
 */
#include "exporter/web/webcfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporter/web/webcfg_int.h"

__attribute__((format(printf, 4, 5))) int webcfg_wp_fail(struct wp *p,
							 const yaml_node_t *n,
							 const char *path,
							 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->err, p->errlen, "%s:%lu:%lu: %s%s%s", p->origin,
			 (unsigned long)n->start_mark.line + 1,
			 (unsigned long)n->start_mark.column + 1, path,
			 *path ? ": " : "", msg);
	else
		snprintf(p->err, p->errlen, "%s: %s%s%s", p->origin, path,
			 *path ? ": " : "", msg);
	return -EINVAL;
}

/* "a mapping", "a list" or "a string", for messages. */
static const char *webcfg_wp_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a string";
	}
}

/* YAML's null: an empty plain scalar, ~ or null. */
bool webcfg_wp_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* The text of a scalar; NULL for null. */
int webcfg_wp_text(struct wp *p, const yaml_node_t *n, const char *path,
		   const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return webcfg_wp_fail(p, n, path, "expected a string, found %s",
				      webcfg_wp_kind(n));
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return webcfg_wp_fail(p, n, path, "a NUL byte in a string");
	*out = webcfg_wp_is_null(n) ? NULL : (const char *)n->data.scalar.value;
	return 0;
}

/* A copy of a string value; NULL for null or "" (unset, as in Go). */
int webcfg_wp_string(struct wp *p, const yaml_node_t *n, const char *path,
		     char **out)
{
	const char *s;
	int rc = webcfg_wp_text(p, n, path, &s);

	if (rc)
		return rc;
	free(*out);
	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* YAML 1.1 booleans, as yaml.v2 reads them; null keeps the default. */
int webcfg_wp_bool(struct wp *p, const yaml_node_t *n, const char *path,
		   bool *out)
{
	static const char *const yes[] = { "y",	  "Y",	  "yes",  "Yes",
					   "YES", "true", "True", "TRUE",
					   "on",  "On",	  "ON" };
	static const char *const no[] = { "n",	 "N",	  "no",	   "No",
					  "NO",	 "false", "False", "FALSE",
					  "off", "Off",	  "OFF" };
	const char *s;
	int rc = webcfg_wp_text(p, n, path, &s);

	if (rc || !s)
		return rc;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcmp(s, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(s, no[i])) {
				*out = false;
				return 0;
			}
		}
	return webcfg_wp_fail(p, n, path, "'%s' is not true or false", s);
}

/* One of names[0..n); null keeps *out. */
int webcfg_wp_enum(struct wp *p, const yaml_node_t *n, const char *path,
		   const char *const *names, size_t count, const char *what,
		   int *out)
{
	char list[256] = "";
	const char *s;
	int rc = webcfg_wp_text(p, n, path, &s);

	if (rc || !s)
		return rc;
	for (size_t i = 0; i < count; i++) {
		if (!strcmp(s, names[i])) {
			*out = (int)i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", names[i]);
	}
	return webcfg_wp_fail(p, n, path, "unknown %s '%s' (one of %s)", what,
			      s, list);
}

/* A sequence; null is an empty one. */
int webcfg_wp_seq(struct wp *p, const yaml_node_t *n, const char *path,
		  yaml_node_item_t **start, yaml_node_item_t **top)
{
	if (webcfg_wp_is_null(n)) {
		*start = *top = NULL;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return webcfg_wp_fail(p, n, path, "expected a list, found %s",
				      webcfg_wp_kind(n));
	*start = n->data.sequence.items.start;
	*top = n->data.sequence.items.top;
	return 0;
}

int webcfg_wp_mapping(struct wp *p, const yaml_node_t *n, const char *path)
{
	if (webcfg_wp_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return webcfg_wp_fail(p, n, path,
				      "expected a mapping, found %s",
				      webcfg_wp_kind(n));
	return 1;
}

/* Walks a mapping whose keys must be among names[0..count): each known
 * key once, each value to fn with its index and dotted path. */
int webcfg_wp_map(struct wp *p, yaml_node_t *n, const char *path,
		  const char *const *names, size_t count, wp_key_fn fn)
{
	unsigned long seen[16] = { 0 };
	int rc = webcfg_wp_mapping(p, n, path);

	if (rc <= 0)
		return rc;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		char sub[WEBCFG_PATH_MAX], list[400] = "";
		const char *name;
		size_t i;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return webcfg_wp_fail(p, k ? k : n, path,
					      "a key must be a string");
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < count; i++)
			if (!strcmp(name, names[i]))
				break;
		if (i == count) {
			for (size_t j = 0; j < count; j++)
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s%s",
					 j ? ", " : "", names[j]);
			return webcfg_wp_fail(p, k, path,
					      "unknown key '%.64s' "
					      "(allowed: %s)",
					      name, list);
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 names[i]);
		if (seen[i])
			return webcfg_wp_fail(p, k, sub,
					      "given twice (first at line %lu)",
					      seen[i]);
		seen[i] = k->start_mark.line + 1;
		p->key_line = seen[i];
		rc = fn(p, i, v, sub);
		if (rc)
			return rc;
	}
	return 0;
}

/* Calls fn with each item of a list of strings (null: an empty list). */
int webcfg_wp_list(struct wp *p, const yaml_node_t *n, const char *path,
		   wp_item_fn fn)
{
	yaml_node_item_t *it = NULL, *top = NULL;
	int rc = webcfg_wp_seq(p, n, path, &it, &top);

	for (; !rc && it < top; it++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		const char *s;

		rc = webcfg_wp_text(p, e, path, &s);
		if (!rc)
			rc = fn(p, e, path, s);
	}
	return rc;
}
