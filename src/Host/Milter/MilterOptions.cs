using Microsoft.Extensions.Configuration;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Milter;

/// <summary>The "Milter" configuration section.</summary>
public sealed class MilterOptions
{
    public const string SectionName = "Milter";

    /// <summary>Largest frame accepted (length prefix value, command byte included). MTAs send body chunks of at most 64 KB.</summary>
    public int MaxFrameSize { get; set; } = MilterLimits.DefaultMaxFrameSize;

    /// <summary>
    /// Most headers one message may have; more tempfails the message (4.7.0). Postfix caps the same thing
    /// (header_size_limit per header, hopcount_limit); 1000 is far above real mail.
    /// </summary>
    public int MaxHeaders { get; set; } = 1000;

    /// <summary>Longest header, name plus value in bytes as the MTA sent them; Postfix's header_size_limit default.</summary>
    public int MaxHeaderLength { get; set; } = 102400;

    /// <summary>
    /// Most header bytes of one message, all fields together. Without it 1,000 fields of 100 KB held 300 MB per
    /// message; Postfix's own header_size_limit is 100 KB for all of them, Sendmail's MaxHeadersLength 32 KB.
    /// </summary>
    public int MaxHeaderBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Most recipients of one message kept; more are answered 452 4.5.3 (RFC 5321 §4.5.3.1.10), which the client
    /// takes as "send these later". Postfix's smtpd_recipient_limit is 1000 too.
    /// </summary>
    public int MaxRecipients { get; set; } = 1000;

    /// <summary>
    /// Longest CONNECT host name, HELO name, MAIL or RCPT command (address and ESMTP arguments), in bytes. SMTP
    /// allows 512 for a command line, Postfix's line_length_limit is 2048; without a bound, a milter client's
    /// thousand recipients of 1 MB each took gigabytes.
    /// </summary>
    public int MaxCommandLength { get; set; } = 2048;

    /// <summary>Most macros in one SMFIC_MACRO frame (one stage); MTAs send a handful per stage.</summary>
    public int MaxMacros { get; set; } = 100;

    /// <summary>Most bytes (names and values) in one SMFIC_MACRO frame (one stage).</summary>
    public int MaxMacroBytes { get; set; } = 65536;

    /// <summary>
    /// How long to wait for the MTA's next command before closing the connection: libmilter's default (7210 s,
    /// smfi_settimeout), which dk-filter and sid-filter ran with. The MTA is silent for as long as its client takes
    /// to upload DATA (Postfix sends the headers once the whole message is in its queue file) and for as long as an
    /// SMTP session idles (Sendmail's Timeout.command is an hour): five minutes here tempfailed big uploads over slow
    /// links on every retry (found by a comparison with libmilter, confirmed through real Postfix).
    /// </summary>
    public TimeSpan ConnectionTimeout { get; set; } = LibmilterTimeout;

    /// <summary>libmilter's default timeout for reading a command and writing a reply (mfapi.h, smfi_settimeout).</summary>
    public static readonly TimeSpan LibmilterTimeout = TimeSpan.FromSeconds(7210);

    /// <summary>
    /// How long plugins still working on a message are waited for once its MTA has gone, before the connection's
    /// slot is given back (the session is closed when they end): <see cref="ConnectionTimeout"/>, at most five
    /// minutes — libmilter's two hours are for an MTA that may still speak, not for a plugin deaf to the abort.
    /// </summary>
    public TimeSpan WaitAfterLostConnection => ConnectionTimeout < TimeSpan.FromMinutes(5) ? ConnectionTimeout : TimeSpan.FromMinutes(5);

    /// <summary>The longest timeout .NET's timers take (int.MaxValue milliseconds, about 24.8 days).</summary>
    private static readonly TimeSpan LongestTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

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
        // Bind reads a bare "5" as five days; like every other time span here, it must be written hh:mm:ss.
        foreach (var key in (string[])[nameof(ConnectionTimeout), nameof(ProgressInterval)])
        {
            if (section[key] is { } text && !Milters.Abstractions.ConfigTime.TryParse(text, out _))
                throw new InvalidOperationException($"{SectionName}:{key}: \"{text}\" is not a time span like 00:00:30");
        }
        // A full body chunk (MILTER_CHUNK_SIZE) plus its command byte must fit.
        if (options.MaxFrameSize < MilterLimits.ChunkSize + 1)
            throw new InvalidOperationException($"{SectionName}:MaxFrameSize must be at least {MilterLimits.ChunkSize + 1}, not {options.MaxFrameSize}");
        if (options.MaxHeaders < 1)
            throw new InvalidOperationException($"{SectionName}:MaxHeaders must be at least 1, not {options.MaxHeaders}");
        if (options.MaxHeaderLength < 1000)
            throw new InvalidOperationException($"{SectionName}:MaxHeaderLength must be at least 1000 (RFC 5322 §2.1.1 allows 998-octet lines), not {options.MaxHeaderLength}");
        if (options.MaxHeaderBytes < options.MaxHeaderLength)
            throw new InvalidOperationException($"{SectionName}:MaxHeaderBytes must be at least MaxHeaderLength ({options.MaxHeaderLength}), not {options.MaxHeaderBytes}");
        if (options.MaxCommandLength < 512)
            throw new InvalidOperationException($"{SectionName}:MaxCommandLength must be at least 512 (an SMTP command line, RFC 5321 §4.5.3.1.4), not {options.MaxCommandLength}");
        if (options.MaxRecipients < 1)
            throw new InvalidOperationException($"{SectionName}:MaxRecipients must be at least 1, not {options.MaxRecipients}");
        if (options.MaxMacros < 1)
            throw new InvalidOperationException($"{SectionName}:MaxMacros must be at least 1, not {options.MaxMacros}");
        if (options.MaxMacroBytes < 1024)
            throw new InvalidOperationException($"{SectionName}:MaxMacroBytes must be at least 1024, not {options.MaxMacroBytes}");
        if (options.ConnectionTimeout <= TimeSpan.Zero || options.ConnectionTimeout > LongestTimeout)
            throw new InvalidOperationException($"{SectionName}:ConnectionTimeout must be positive and at most 24 days, not {options.ConnectionTimeout}");
        if (options.ProgressInterval <= TimeSpan.Zero)
            throw new InvalidOperationException($"{SectionName}:ProgressInterval must be positive, not {options.ProgressInterval}");
        return options;
    }
}
