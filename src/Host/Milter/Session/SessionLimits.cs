using Microsoft.Extensions.Logging;
using Milters.Abstractions;

namespace Milters.Host.Milter.Session;

/// <summary>
/// Resource limits of one milter conversation (headers per message, header length, macros per stage) and the
/// answer the MTA gets when one is hit: the message is tempfailed (4.7.0 with a text naming the limit), so
/// nothing passes unchecked and nothing is lost — the MTA keeps the mail queued and the log says why.
/// Each limit is logged once per message.
/// </summary>
public sealed class SessionLimits
{
    private readonly MilterOptions options;
    private readonly ILogger logger;
    private int headers;
    private long headerBytes;
    private bool headerLimitLogged;
    private bool recipientLimitLogged;
    private bool commandLimitLogged;

    public SessionLimits(MilterOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
    }

    /// <summary>The answer to a message that hit a limit; the text names what was exceeded.</summary>
    public static Verdict Exceeded(string what) => Verdict.TempFailWith("451", "4.7.0", $"message exceeds a filter limit ({what})");

    /// <summary>Counts one header; non-null when this header breaks the count or length limit.</summary>
    public Verdict? Header(string queueId, int nameLength, int valueLength)
    {
        headers++;
        if (headers > options.MaxHeaders)
            return Hit(queueId, "Milter:MaxHeaders", $"more than {options.MaxHeaders} headers");
        if (nameLength + valueLength > options.MaxHeaderLength)
            return Hit(queueId, "Milter:MaxHeaderLength", $"a header of {nameLength + valueLength} bytes, more than {options.MaxHeaderLength}");
        headerBytes += nameLength + valueLength;
        if (headerBytes > options.MaxHeaderBytes)
            return Hit(queueId, "Milter:MaxHeaderBytes", $"more than {options.MaxHeaderBytes} bytes of headers");
        return null;
    }

    /// <summary>Non-null when a CONNECT, HELO, MAIL or RCPT payload is longer than Milter:MaxCommandLength.</summary>
    public Verdict? Command(string queueId, string command, int length)
    {
        if (length <= options.MaxCommandLength) return null;
        if (commandLimitLogged) return Exceeded($"{command} of more than {options.MaxCommandLength} bytes");
        commandLimitLogged = true;
        logger.LogWarning("{QueueId}: limit Milter:MaxCommandLength hit: {Command} of {Length} bytes, more than {Max}; tempfailed",
            queueId, command, length, options.MaxCommandLength);
        return Exceeded($"{command} of more than {options.MaxCommandLength} bytes");
    }

    /// <summary>
    /// Non-null when the message already has as many recipients as allowed: this one is answered "452 4.5.3 too
    /// many recipients" (RFC 5321 §4.5.3.1.10), so the client sends it in a later transaction; nothing is lost.
    /// </summary>
    public Verdict? Recipient(string queueId, int kept)
    {
        if (kept < options.MaxRecipients) return null;
        if (!recipientLimitLogged)
        {
            recipientLimitLogged = true;
            logger.LogWarning("{QueueId}: limit Milter:MaxRecipients hit: more than {Max} recipients; the rest are not kept (answered 452 4.5.3 unless the MTA asked for no reply)", queueId, options.MaxRecipients);
        }
        return Verdict.TempFailWith("452", "4.5.3", "too many recipients");
    }

    /// <summary>Non-null when one SMFIC_MACRO frame carries more macros or bytes than allowed.</summary>
    public Verdict? Macros(string queueId, MacroStage stage, int count, int bytes)
    {
        if (count > options.MaxMacros)
        {
            logger.LogWarning("{QueueId}: limit Milter:MaxMacros hit: {Count} macros for stage {Stage}, more than {Max}; message tempfailed",
                queueId, count, stage, options.MaxMacros);
            return Exceeded($"more than {options.MaxMacros} macros");
        }
        if (bytes > options.MaxMacroBytes)
        {
            logger.LogWarning("{QueueId}: limit Milter:MaxMacroBytes hit: {Bytes} bytes of macros for stage {Stage}, more than {Max}; message tempfailed",
                queueId, bytes, stage, options.MaxMacroBytes);
            return Exceeded($"more than {options.MaxMacroBytes} bytes of macros");
        }
        return null;
    }

    /// <summary>The message is over: counts start again.</summary>
    public void ResetMessage()
    {
        headers = 0;
        headerBytes = 0;
        headerLimitLogged = false;
        recipientLimitLogged = false;
        commandLimitLogged = false;
    }

    private Verdict Hit(string queueId, string key, string what)
    {
        if (!headerLimitLogged)
        {
            headerLimitLogged = true;
            logger.LogWarning("{QueueId}: limit {Key} hit: {What}; message tempfailed", queueId, key, what);
        }
        return Exceeded(what);
    }
}
