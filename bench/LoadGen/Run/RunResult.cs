namespace Milters.LoadGen.Run;

/// <summary>One run at one concurrency: what the JSON lines and the chart are made of.</summary>
internal sealed record RunResult
{
    public required string Label { get; init; }
    public string? Note { get; init; }
    public required string Socket { get; init; }
    public required string Transport { get; init; }
    public required string Traffic { get; init; }
    public required string Sizes { get; init; }
    public required int Connections { get; init; }

    /// <summary>Target rate of an open-loop run (messages/s), null when closed loop.</summary>
    public double? Rate { get; init; }
    public required int PerConnection { get; init; }
    public required long Requested { get; init; }
    public required long Completed { get; init; }
    public required long Ok { get; init; }
    public required long Errors { get; init; }
    public required Dictionary<string, long> Outcomes { get; init; }
    public required Dictionary<string, string> ErrorSamples { get; init; }
    public required double Seconds { get; init; }
    public required double MessagesPerSecond { get; init; }
    public required double OkPerSecond { get; init; }
    public required double MegabytesPerSecond { get; init; }
    public required LatencySummary EomLatencyMs { get; init; }
    public required LatencySummary MessageLatencyMs { get; init; }
    public string? ExpectHeader { get; init; }
    public string? Negotiated { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public required int ProcessorCount { get; init; }

    /// <summary>/proc/loadavg when the run ended: other work on the machine skews a benchmark.</summary>
    public string? LoadAverage { get; init; }
    public required string CommandLine { get; init; }
}
