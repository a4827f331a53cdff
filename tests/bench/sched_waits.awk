# sched_waits: where the HTTP threads of a scrape wait for a core, from
# `perf script -F cpu,time,event,trace` lines of sched:sched_switch,
# sched:sched_wakeup and sched:sched_migrate_task.
#
# A thread waits for a core from its wake-up (on the core it is woken
# onto) or from being switched out while still runnable (prev_state R, on
# that core) until it is switched in again. Every run on the core it waits
# on is charged, for the part inside the wait, to the task that ran (by
# its comm), so the totals say behind whom the HTTP threads waited. When
# the balancer moves a waiting thread, the run it leaves is charged up to
# the move and the wait goes on, charged on the new core. Alongside, kauditd's runs: how long the kernel's audit thread
# held a core without switching, which on a kernel without preemption
# nothing else on that core can cut short.
#
# Variables: producer and reader, the comm of the storm and of the
# exporter's reading thread. Prints one line, ms and percentages.
# the HTTP threads: libmicrohttpd's pool and the scrape worker that renders
function http(comm) {
	return comm == "MHD-worker" || comm == "ae-scrape"
}
function field(name) {
	if (!match($0, name "=[^ ]*"))
		return ""
	return substr($0, RSTART + length(name) + 1, RLENGTH - length(name) - 1)
}
$3 == "sched:sched_wakeup:" && http(field("comm")) {
	t = $2
	sub(/:$/, "", t)
	pid = field("pid")
	# already waiting, or woken while still on its core: no new wait
	if (!(pid in wait_cpu) && !(pid in running)) {
		wait_cpu[pid] = field("target_cpu") + 0
		wait_from[pid] = seg_from[pid] = t
	}
	next
}
# Charges the run on cpu, from the start of w's wait on it, up to t.
function charge(w, cpu, t, who) {
	from = seg_from[w] > since[cpu] ? seg_from[w] : since[cpu]
	if (t > from)
		pending[w, who] += t - from
}
$3 == "sched:sched_migrate_task:" && http(field("comm")) {
	pid = field("pid")
	if (!(pid in wait_cpu))
		next
	t = $2
	sub(/:$/, "", t)
	cpu = wait_cpu[pid]
	if (cpu in since)
		charge(pid, cpu, t, on[cpu])
	wait_cpu[pid] = field("dest_cpu") + 0
	seg_from[pid] = t
	next
}
$3 == "sched:sched_switch:" {
	cpu = $1
	gsub(/[][]/, "", cpu)
	cpu += 0
	t = $2
	sub(/:$/, "", t)
	prev = field("prev_comm")
	prev_pid = field("prev_pid")
	next_comm = field("next_comm")
	next_pid = field("next_pid")
	if (cpu in since) {
		ran = t - since[cpu]
		if (prev == "kauditd") {
			kauditd += ran
			if (ran >= 0.010)
				kauditd_long += ran
			if (ran > kauditd_max)
				kauditd_max = ran
		}
		for (w in wait_cpu)
			if (wait_cpu[w] == cpu)
				charge(w, cpu, t, prev)
	}
	since[cpu] = t
	on[cpu] = next_comm
	delete running[prev_pid]
	running[next_pid] = 1
	if (http(prev) && field("prev_state") ~ /^R/) {
		wait_cpu[prev_pid] = cpu
		wait_from[prev_pid] = seg_from[prev_pid] = t
	}
	if (http(next_comm) && (next_pid in wait_cpu)) {
		waited = t - wait_from[next_pid]
		total += waited
		if (waited > longest)
			longest = waited
		for (k in pending) {
			split(k, part, SUBSEP)
			if (part[1] != next_pid)
				continue
			who = part[2] == "kauditd" ? "kauditd" : part[2] == reader ? "reader" : \
			      part[2] == producer ? "producer" : "other"
			behind[who] += pending[k]
			delete pending[k]
		}
		delete wait_cpu[next_pid]
		delete wait_from[next_pid]
		delete seg_from[next_pid]
	}
}
function pct(x, of) {
	return of > 0 ? 100 * x / of : 0
}
END {
	printf "the HTTP threads waited %.0f ms for a core in all, longest %.1f ms; behind kauditd %.0f%%, the reader %.0f%%, " \
	       "the storm %.0f%%, others %.0f%%; kauditd's longest run without a switch %.1f ms, %.0f%% of its time " \
	       "in runs of 10 ms or more\n", total * 1000, longest * 1000, pct(behind["kauditd"], total),
	       pct(behind["reader"], total), pct(behind["producer"], total), pct(behind["other"], total),
	       kauditd_max * 1000, pct(kauditd_long, kauditd)
}
