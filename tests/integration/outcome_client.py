#!/usr/bin/env python3
"""Non-blocking TCP connects with a known ending, for t_connect_outcome.sh.

outcome_client.py MODE COUNT PORT COMM

Names itself COMM (/proc/self/comm: the records' comm=), then makes COUNT
non-blocking connects to 127.0.0.1:PORT, each asserting EINPROGRESS:
  hold     waits until each is established and keeps them open
  refused  waits until each is refused (SO_ERROR ECONNREFUSED) and keeps
           the descriptors open
  close    closes each at once after connect() returned
Prints "ready N" (N connects made as the mode says), then waits for a line
on stdin (or its end) before closing what it holds and exiting.
"""
import errno
import select
import socket
import sys

mode, count, port, comm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open("/proc/self/comm", "w") as f:
    f.write(comm)
held, made = [], 0
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    rc = s.connect_ex(("127.0.0.1", port))
    if rc != errno.EINPROGRESS:
        sys.exit("connect returned %s, not EINPROGRESS" % errno.errorcode.get(rc, rc))
    if mode == "close":
        s.close()
        made += 1
        continue
    select.select([], [s], [], 10)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    want = 0 if mode == "hold" else errno.ECONNREFUSED
    if err != want:
        sys.exit("%s connect ended with %s" % (mode, errno.errorcode.get(err, err)))
    held.append(s)
    made += 1
print("ready %d" % made, flush=True)
sys.stdin.readline()
for s in held:
    s.close()
