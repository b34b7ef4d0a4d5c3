using Microsoft.Extensions.Configuration;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Milter;

/// <summary>The "Milter" configuration section.</summary>
public sealed class MilterOptions
{
    public const string SectionName = "Milter";

    /// <summary>Largest frame accepted (length prefix value, command byte included). MTAs send body chunks of at most 64 KB.</summary>
    public int MaxFrameSize { get; set; } = MilterLimits.DefaultMaxFrameSize;

    /// <summary>How long to wait for the MTA's next command before closing the connection.</summary>
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// While plugins work on end of message longer than this (DNS timeouts), SMFIR_PROGRESS is sent every
    /// interval so the MTA's end-of-message timeout (Sendmail T=E, Postfix milter_content_timeout) does not fire.
    /// </summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Reads and checks the section; a bad value is a start-up error that names the key.</summary>
    public static MilterOptions From(IConfiguration configuration)
    {
        var options = new MilterOptions();
        var section = configuration.GetSection(SectionName);
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"configuration section {SectionName}: {ex.Message}", ex);
        }
        // A full body chunk (MILTER_CHUNK_SIZE) plus its command byte must fit.
        if (options.MaxFrameSize < MilterLimits.ChunkSize + 1)
            throw new InvalidOperationException($"{SectionName}:MaxFrameSize must be at least {MilterLimits.ChunkSize + 1}, not {options.MaxFrameSize}");
        if (options.ConnectionTimeout <= TimeSpan.Zero)
            throw new InvalidOperationException($"{SectionName}:ConnectionTimeout must be positive, not {options.ConnectionTimeout}");
        if (options.ProgressInterval <= TimeSpan.Zero)
            throw new InvalidOperationException($"{SectionName}:ProgressInterval must be positive, not {options.ProgressInterval}");
        return options;
    }
}
