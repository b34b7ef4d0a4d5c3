#!/usr/bin/env python3
"""Sums a dotnet-counters JSON capture (possibly cut off by a timeout): total bytes allocated and CPU
seconds over the capture, minus the idle baseline (median of the quietest seconds), divided by a message count.
usage: cpu-alloc.py counters.json MESSAGES"""
import re, sys
text = open(sys.argv[1]).read()
messages = int(sys.argv[2])
events = re.findall(r'"name": "([^"]+)",\s*"tags": "([^"]*)",\s*"counterType": "[^"]+",.*?"value": ([0-9.eE+-]+) \}', text)
alloc = [float(v) for n, t, v in events if n.startswith('dotnet.gc.heap.total_allocated')]
cpu = {}
for n, t, v in events:
    if n.startswith('dotnet.process.cpu.time'):
        cpu.setdefault(t, []).append(float(v))
cpu_total = [sum(x) for x in zip(*cpu.values())] if cpu else []
def net(series):
    if not series: return 0.0
    base = sorted(series)[len(series) // 4]          # idle seconds dominate the quiet quarter
    return sum(max(0.0, x - base) for x in series)
a, c = net(alloc), net(cpu_total)
print(f"allocated {a/1e6:.1f} MB = {a/messages/1024:.1f} KB/message; cpu {c:.2f} s = {c*1e3/messages:.3f} ms/message "
      f"= {messages/c if c else 0:.0f} messages per CPU-second")
