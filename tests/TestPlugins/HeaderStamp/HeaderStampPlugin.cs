using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;

namespace Milters.TestPlugins.HeaderStamp;

/// <summary>
/// Test-only plugin: at end of message adds <c>Header: Value</c>, or rejects (550 5.7.1), or throws, as its
/// section says (<c>Header</c> default X-Milters-Stamp, <c>Value</c> default its name, <c>Reject</c>, <c>Throw</c>,
/// <c>SeeEnvelope</c>, <c>BusyMicroseconds</c>: end of message holds its thread that long, as a signature does).
/// Its name is the file name of its dll, so one build copied as StampA/StampA.dll and StampB/StampB.dll
/// gives two independent plugins (two sections, two places in the order) — how the drop-in tests show that
/// the configured order is the order of effects.
/// </summary>
public sealed class HeaderStampPlugin : IMilterPlugin
{
    public HeaderStampPlugin()
    {
        var file = Path.GetFileNameWithoutExtension(typeof(HeaderStampPlugin).Assembly.Location);
        Name = string.IsNullOrEmpty(file) ? "HeaderStamp" : file;
    }

    public string Name { get; }

    /// <summary>Adding headers at end of message; with <c>SeeEnvelope</c> also the envelope and headers (to make messages visible to the host).</summary>
    public PluginNeeds Needs { get; private set; } = PluginNeeds.AddHeaders;

    public void ConfigureServices(IServiceCollection services, IConfiguration section)
    {
        if (bool.TryParse(section["SeeEnvelope"], out var see) && see)
            Needs |= PluginNeeds.MailFrom | PluginNeeds.Recipients | PluginNeeds.Headers | PluginNeeds.EndOfHeaders;
        services.AddSingleton(new HeaderStampOptions
        {
            Header = section["Header"] is { Length: > 0 } h ? h : "X-Milters-Stamp",
            Value = section["Value"] ?? Name,
            Reject = bool.TryParse(section["Reject"], out var reject) && reject,
            Throw = bool.TryParse(section["Throw"], out var fail) && fail,
            Busy = TimeSpan.FromMicroseconds(int.TryParse(section["BusyMicroseconds"], out var busy) ? busy : 0),
        });
    }

    public MessageFilter CreateFilter(IServiceProvider services) =>
        new HeaderStampFilter(services.GetRequiredService<HeaderStampOptions>());
}

public sealed class HeaderStampOptions
{
    public string Header { get; init; } = "X-Milters-Stamp";
    public string Value { get; init; } = "HeaderStamp";
    public bool Reject { get; init; }
    public bool Throw { get; init; }
    public TimeSpan Busy { get; init; }
}

internal sealed class HeaderStampFilter(HeaderStampOptions options) : MessageFilter
{
    public override ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(options.Busy.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until) { }
        if (options.Throw) throw new InvalidOperationException($"HeaderStamp was told to throw ({options.Header})");
        if (options.Reject) return new(Verdict.RejectWith("550", "5.7.1", $"rejected by {options.Header}"));
        // Values carry their own leading space: the host negotiates SMFIP_HDR_LEADSPC.
        context.Edits.AddHeader(options.Header, " " + options.Value);
        return Verdict.ContinueTask;
    }
}
