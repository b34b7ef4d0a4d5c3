#:package Microsoft.Diagnostics.Tracing.TraceEvent@3.1.21
#:property ManagePackageVersionsCentrally=false
// Where a running filter allocates: reads a nettrace of GC AllocationTick events (one sample per ~100 KB
// allocated, with its stack) and prints the allocating sites by sampled bytes: type <- first frames outside
// System.*. A file-based app (dotnet run alloc-sites.cs TRACE [TYPE] [N]); bench/scripts/alloc-sites.sh
// collects the trace under load. Not part of the solution: it is a tool for reading traces.
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
var etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
var filter = args.Length > 1 && args[1] != "" ? args[1] : null;
var counts = new Dictionary<string, long>();
long total = 0;
foreach (var e in log.Events)
{
    if (e is not GCAllocationTickTraceData d) continue;
    if (filter != null && d.TypeName != filter) continue;
    var frames = new List<string>();
    for (var cs = e.CallStack(); cs != null && frames.Count < 4; cs = cs.Caller)
    {
        var name = cs.CodeAddress.FullMethodName;
        if (string.IsNullOrEmpty(name)) continue;
        if (name.StartsWith("System.") && frames.Count == 0) { continue; }
        frames.Add(name.Length > 110 ? name[..110] : name);
    }
    var key = d.TypeName + " <- " + string.Join(" <- ", frames);
    counts[key] = counts.GetValueOrDefault(key) + d.AllocationAmount64;
    total += d.AllocationAmount64;
}
Console.WriteLine($"total {total / 1048576.0:F1} MB");
foreach (var (k, v) in counts.OrderByDescending(p => p.Value).Take(int.Parse(args.Length > 2 ? args[2] : "30")))
    Console.WriteLine($"{v * 100.0 / total,5:F1}% {k}");
