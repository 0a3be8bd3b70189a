/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The EAL command line, built from the configuration so that operators
 * describe lcores, devices and memory once, in the config file.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg_dataplane.h"

static int
add_arg(struct mg_eal_args *a, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(a->storage) - a->used;
	int n;

	if (a->argc >= MG_EAL_MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(a->storage + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -E2BIG;
	a->argv[a->argc++] = a->storage + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
	return 0;
}

/* Expand a CPU list such as "0-3,6" into cpus[]; returns the count. */
static int
parse_cpu_list(const char *list, int *cpus, int max)
{
	int n = 0;
	const char *s = list;

	while (*s != '\0' && n < max) {
		char *end;
		long lo = strtol(s, &end, 10), hi;

		if (end == s)
			return -EINVAL;
		hi = lo;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo)
				return -EINVAL;
		}
		for (long c = lo; c <= hi && n < max; c++)
			cpus[n++] = (int)c;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -EINVAL;
	}
	return n;
}

static int
online_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static unsigned long
free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* --lcores: lcore 0 is the main lcore, 1..N the workers. With a CPU each
 * they are pinned; with fewer CPUs than lcores (a small test machine) every
 * lcore floats over the whole set and the OS shares them out. */
static int
add_lcores(struct mg_eal_args *a, const struct mg_config *cfg)
{
	int cpus[256], n_cpus;
	unsigned n_lcores = cfg->dataplane.workers + 1;
	char map[1024], set[512];
	size_t off = 0;

	n_cpus = cfg->dataplane.cpus[0] != '\0'
		? parse_cpu_list(cfg->dataplane.cpus, cpus, 256)
		: online_cpus(cpus, 256);
	if (n_cpus <= 0)
		return -EINVAL;

	if ((unsigned)n_cpus >= n_lcores) {
		for (unsigned l = 0; l < n_lcores; l++)
			off += (size_t)snprintf(map + off, sizeof(map) - off,
					"%s%u@%d", l ? "," : "", l, cpus[l]);
	} else {
		size_t so = 0;

		for (int c = 0; c < n_cpus; c++)
			so += (size_t)snprintf(set + so, sizeof(set) - so,
					       "%s%d", c ? "," : "", cpus[c]);
		snprintf(map, sizeof(map), "(0-%u)@(%s)", n_lcores - 1, set);
	}
	return add_arg(a, "--lcores=%s", map) ?: add_arg(a, "--main-lcore=0");
}

static int
add_device(struct mg_eal_args *a, const struct mg_cfg_port *p, unsigned workers)
{
	if (!p->is_vdev)
		return add_arg(a, "-a") ?: add_arg(a, "%s", p->device);
	/* One af_packet queue pair per worker: each socket joins the fanout
	 * group, so there must be exactly as many as there are RX pollers. */
	if (strncmp(p->device, "net_af_packet", 13) == 0 &&
	    strstr(p->device, "qpairs=") == NULL)
		return add_arg(a, "--vdev=%s,qpairs=%u", p->device, workers);
	return add_arg(a, "--vdev=%s", p->device);
}

int
mg_eal_args_build(const struct mg_config *cfg, const char *argv0,
		  struct mg_eal_args *a, char *note, size_t note_len)
{
	const struct mg_cfg_dataplane *d = &cfg->dataplane;
	bool any_pci = false, no_huge = !d->hugepages;
	int rc;

	memset(a, 0, sizeof(*a));
	if (note != NULL && note_len > 0)
		note[0] = '\0';

	rc = add_arg(a, "%s", argv0) ?: add_lcores(a, cfg);
	if (rc != 0)
		return rc;
	rc = add_arg(a, "--file-prefix=%s", d->file_prefix);
	for (unsigned i = 0; rc == 0 && i < cfg->n_ports; i++) {
		any_pci |= !cfg->ports[i].is_vdev;
		rc = add_device(a, &cfg->ports[i], d->workers);
	}
	if (rc == 0 && !any_pci)
		rc = add_arg(a, "--no-pci");

	if (!no_huge && free_hugepages() == 0) {
		no_huge = true;
		if (note != NULL)
			snprintf(note, note_len, "no free hugepages (vm.nr_hugepages); "
				 "running with --no-huge, which is slower "
				 "(run scripts/setup.sh, or set dataplane.hugepages = false)");
	}
	if (rc == 0 && no_huge)
		rc = add_arg(a, "--no-huge") ?:
		     add_arg(a, "-m") ?:
		     add_arg(a, "%u", d->memory_mb ? d->memory_mb : 1024);
	else if (rc == 0 && d->memory_mb)
		rc = add_arg(a, "-m") ?: add_arg(a, "%u", d->memory_mb);

	if (rc == 0)
		rc = add_arg(a, "--log-level=%s", cfg->logging.level);
	for (unsigned i = 0; rc == 0 && i < d->n_eal_args; i++)
		rc = add_arg(a, "%s", d->eal_args[i]);
	return rc;
}
