# A DNS responder for bench_socket_rules.sh: answers every A query with
# 127.0.0.2 and every other query with an empty NOERROR, on UDP only.
import socket
import struct
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    qid, = struct.unpack("!H", q[:2])
    end = 12
    while end < len(q) and q[end]:
        end += 1 + q[end]
    question = q[12:end + 5]
    qtype = struct.unpack("!H", q[end + 1:end + 3])[0] if end + 3 <= len(q) else 0
    answers = b""
    if qtype == 1:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 2])
    hdr = struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if answers else 0, 0, 0)
    s.sendto(hdr + question + answers, peer)
