#!/usr/bin/env python3
"""Aggregates a dotnet-trace speedscope file (sampled thread time): drops samples whose leaf frame is a
wait (blocked threads), then prints the top frames by exclusive and inclusive samples.
usage: speedscope-top.py trace.speedscope.json [N] [FILTER-SUBSTRING]"""
import json, sys, collections
d = json.load(open(sys.argv[1]))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
only = sys.argv[3] if len(sys.argv) > 3 else None
frames = [f['name'] for f in d['shared']['frames']]
WAIT = ('Wait', 'Sleep', 'epoll_wait', 'Monitor.Enter', 'SemaphoreSlim', 'LowLevelLifoSemaphore', 'UNMANAGED_CODE_TIME',
        'WaitHandle', 'Thread.Join', 'PollGC', 'CPU_TIME')
excl, incl, total, busy = collections.Counter(), collections.Counter(), 0, 0
for p in d['profiles']:
    if p['type'] == 'sampled':
        samples, weights = p['samples'], p.get('weights') or [1] * len(p['samples'])
    else:  # evented: convert open/close into durations per stack
        stack, last, samples, weights = [], None, [], []
        for e in p['events']:
            if last is not None and stack: samples.append(list(stack)); weights.append(e['at'] - last)
            last = e['at']
            if e['type'] == 'O': stack.append(e['frame'])
            else: stack.pop()
    for s, w in zip(samples, weights):
        total += w
        if not s: continue
        leaf = frames[s[-1]]
        if any(k in leaf for k in WAIT): continue
        names = [frames[i] for i in s]
        if only and not any(only in n for n in names): continue
        busy += w
        excl[leaf] += w
        for n in set(names): incl[n] += w
print(f"busy {busy:.0f} of {total:.0f} sampled units ({100*busy/max(total,1):.1f}%)")
print("--- exclusive"); [print(f"{100*v/busy:6.1f}%  {k[:150]}") for k, v in excl.most_common(top)]
print("--- inclusive"); [print(f"{100*v/busy:6.1f}%  {k[:150]}") for k, v in incl.most_common(top)]
