using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Dns;
using Milters.Host.Metrics;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>src/Host/Metrics: the "Milters" meter as a listener (dotnet-counters, OpenTelemetry) sees it, DNS counted against BIND, the summary line.</summary>
public sealed class MetricsTests
{
    private static ServiceProvider Services(string interval = "00:00:00", ILoggerProvider? log = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Metrics:SummaryInterval"] = interval }).Build();
        var services = new ServiceCollection();
        services.AddLogging(l => { if (log is not null) l.AddProvider(log); });
        services.AddMilterMetrics(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Instruments_are_published_on_the_Milters_meter_with_their_tags()
    {
        using var services = Services();
        var metrics = services.GetRequiredService<MilterMetrics>();
        var seen = new List<(string Name, long Value, Dictionary<string, string> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == "Milters") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            var t = new Dictionary<string, string>();
            foreach (var (k, value) in tags) t[k] = value?.ToString() ?? "";
            lock (seen) seen.Add((i.Name, v, t));
        });
        listener.Start();

        metrics.ConnectionOpened();
        metrics.MessageFinished(Verdict.RejectWith("550", "5.7.1", "no"), TimeSpan.FromMilliseconds(20));
        metrics.PluginVerdict("SenderId", Verdict.Reject);
        metrics.PluginVerdict("SenderId", Verdict.Continue); // not terminal: not counted
        metrics.ResultsRecorded([new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Fail) { Plugin = "SenderId" }]);
        metrics.PluginFailed("DomainKeys", "eom");
        metrics.ConnectionClosed();

        Assert.Contains(seen, m => m.Name == "milters.connections" && m.Value == 1);
        Assert.Contains(seen, m => m.Name == "milters.messages" && m.Tags["verdict"] == "reject");
        Assert.Single(seen, m => m.Name == "milters.plugin.verdicts");
        Assert.Contains(seen, m => m.Name == "milters.plugin.verdicts" && m.Tags["plugin"] == "SenderId" && m.Tags["verdict"] == "reject");
        Assert.Contains(seen, m => m.Name == "milters.plugin.results" && m.Tags["plugin"] == "SenderId" && m.Tags["method"] == "spf" && m.Tags["result"] == "fail");
        Assert.Contains(seen, m => m.Name == "milters.plugin.errors" && m.Tags["plugin"] == "DomainKeys" && m.Tags["stage"] == "eom");
        Assert.Equal(0, seen.Where(m => m.Name == "milters.connections.active").Sum(m => m.Value));
    }

    [Fact]
    public async Task Dns_lookups_against_a_real_server_are_counted_by_type_and_outcome()
    {
        var zone = new DnsServerOptions();
        zone.ZoneTexts.Add("example.com. IN TXT \"v=spf1 -all\"\nexample.com. IN A 192.0.2.1\n");
        zone.ServFail.Add("broken.example.net");
        using var dns = DnsServer.Start(zone);
        using var services = Services();
        var metrics = services.GetRequiredService<MilterMetrics>();
        using var summary = new MetricsSummary(metrics);

        var options = new DnsOptions([IPEndPoint.Parse(dns.Endpoint)], TimeSpan.FromSeconds(3), 0, UseCache: false);
        IDnsResolver resolver = new MeteredDnsResolver(new DnsClientResolver(options), metrics);
        Assert.Equal(DnsStatus.Ok, (await resolver.QueryTxtAsync("example.com")).Status);
        Assert.Equal(DnsStatus.Ok, (await resolver.QueryAAsync("example.com")).Status);
        Assert.Equal(DnsStatus.NxDomain, (await resolver.QueryTxtAsync("nosuch.example.com")).Status);
        Assert.Equal(DnsStatus.ServerFailure, (await resolver.QueryTxtAsync("broken.example.net")).Status);

        var line = summary.TakeLine(TimeSpan.FromMinutes(5));
        Assert.True(line.Contains("; dns 4 lookup(s) (nxdomain 1, ok 2, servfail 1), avg ", StringComparison.Ordinal), line);
        Assert.Contains("; dns 0 lookup(s);", summary.TakeLine(TimeSpan.FromMinutes(5)) + ";", StringComparison.Ordinal);

        // With the cache, a repeated question asks no server: counted apart, not among the lookups and their times.
        IDnsResolver cached = new MeteredDnsResolver(new DnsClientResolver(options with { UseCache = true }), metrics);
        for (var i = 0; i < 3; i++) Assert.Equal(DnsStatus.Ok, (await cached.QueryTxtAsync("example.com")).Status);
        line = summary.TakeLine(TimeSpan.FromMinutes(5));
        Assert.True(line.Contains("; dns 1 lookup(s) (ok 1), avg ", StringComparison.Ordinal) && line.EndsWith(", 2 answered from cache", StringComparison.Ordinal), line);
    }

    [Fact]
    public void The_summary_line_sums_a_period_then_starts_again()
    {
        using var services = Services();
        var metrics = services.GetRequiredService<MilterMetrics>();
        var summary = services.GetRequiredService<MetricsSummary>();

        metrics.ConnectionOpened();
        metrics.ConnectionOpened();
        metrics.ConnectionClosed();
        for (var i = 0; i < 3; i++) metrics.MessageFinished(Verdict.Continue, TimeSpan.FromMilliseconds(10));
        metrics.MessageFinished(Verdict.TempFail, TimeSpan.FromMilliseconds(30));
        metrics.ResultsRecorded(
        [
            new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.Pass) { Plugin = "DomainKeys" },
            new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Pass) { Plugin = "SenderId" },
            new AuthenticationResult(AuthMethods.SenderId, AuthResultCode.Pass) { Plugin = "SenderId" },
        ]);
        metrics.ResultsRecorded([new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.Pass) { Plugin = "DomainKeys" }]);
        metrics.PluginVerdict("SenderId", Verdict.TempFail);
        metrics.ProtocolError();

        var line = summary.TakeLine(TimeSpan.FromMinutes(5));
        Assert.StartsWith("metrics for the last 00:05:00: 4 message(s) (continue 3, tempfail 1), avg 15 ms, max 30 ms; connections 2 new, 1 open; " +
                          "results DomainKeys domainkeys=pass 2, SenderId sender-id=pass 1, SenderId spf=pass 1; plugin verdicts SenderId tempfail 1; " +
                          "errors: plugins 0, protocol 1; dns 0 lookup(s)", line, StringComparison.Ordinal);

        Assert.Equal("metrics for the last 00:05:00: 0 message(s); connections 0 new, 1 open; results none; errors: plugins 0, protocol 0; dns 0 lookup(s)",
            summary.TakeLine(TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task The_summary_service_logs_the_line_and_a_last_one_at_shutdown()
    {
        var log = new CollectingLoggerProvider();
        using var services = Services("00:00:00.200", log);
        var hosted = services.GetServices<IHostedService>().OfType<MetricsSummaryService>().Single();
        services.GetRequiredService<MilterMetrics>().MessageFinished(Verdict.Accept, TimeSpan.FromMilliseconds(5));

        await hosted.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!log.Lines.Any(l => l.Contains("1 message(s) (accept 1)", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(50);
        await hosted.StopAsync(CancellationToken.None);

        Assert.Contains(log.Lines, l => l.StartsWith("Information Milters.Host.Metrics.MetricsSummaryService: metrics for the last 00:00:", StringComparison.Ordinal)
                                        && l.Contains("1 message(s) (accept 1)", StringComparison.Ordinal));
        Assert.True(log.Lines.Count(l => l.Contains("metrics for the last", StringComparison.Ordinal)) >= 2, string.Join('\n', log.Lines));
    }

    [Fact]
    public async Task The_running_milter_counts_a_message_and_writes_the_summary_when_it_stops()
    {
        using var dns = DnsServer.StartWithZone("example.com. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
        var options = new MilterProcessOptions
        {
            Config = new System.Text.Json.Nodes.JsonObject
            {
                ["Dns"] = new System.Text.Json.Nodes.JsonObject { ["Servers"] = new System.Text.Json.Nodes.JsonArray(dns.Endpoint) },
                ["Metrics"] = new System.Text.Json.Nodes.JsonObject { ["SummaryInterval"] = "00:10:00" },
            },
        };
        using var milter = MilterProcess.Start(options);
        await using (var client = await Milters.Testing.Milter.MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value)))
        {
            await client.NegotiateAsync(Milters.Testing.Milter.MtaOffer.Postfix);
            await client.ConnectAsync("client.example.com", IPAddress.Parse("192.0.2.9"));
            await client.HeloAsync("client.example.com");
            var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"],
                System.Text.Encoding.ASCII.GetBytes("From: alice@example.com\r\nTo: bob@example.org\r\nSubject: counted\r\n\r\nHi.\r\n"));
            Assert.NotNull(result.EndOfMessage);
            await client.QuitAsync();
        }

        Assert.Equal(0, milter.Stop());
        var summary = milter.Output.Split('\n').LastOrDefault(l => l.Contains("metrics for the last", StringComparison.Ordinal));
        Assert.True(summary is not null, milter.Output);
        Assert.Contains(": 1 message(s) (", summary, StringComparison.Ordinal);
        Assert.Matches(@"; connections [1-9]\d* new, 0 open;", summary); // the fixture's readiness probe is a connection too
        Assert.Contains("SenderId spf=pass 1", summary, StringComparison.Ordinal);
        Assert.Matches(@"; dns [1-9]\d* lookup\(s\) \(ok [1-9]", summary);
    }

    [Fact]
    public void A_zero_interval_turns_the_summary_line_off()
    {
        using var services = Services("00:00:00");
        Assert.Empty(services.GetServices<IHostedService>().OfType<MetricsSummaryService>());
        Assert.NotNull(services.GetRequiredService<MilterMetrics>());
    }

    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        private readonly List<string> lines = new();

        public IReadOnlyList<string> Lines
        {
            get { lock (lines) return lines.ToList(); }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CollectingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.lines) owner.lines.Add($"{logLevel} {category}: {formatter(state, exception)}");
            }
        }
    }
}
