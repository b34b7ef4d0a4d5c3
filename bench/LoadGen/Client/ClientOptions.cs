namespace Milters.LoadGen.Client;

/// <summary>How the client speaks the protocol (MTA behaviours that differ between MTAs).</summary>
internal sealed class ClientOptions
{
    /// <summary>Line ending inside folded header values: "\n" as Postfix sends them, "\r\n" as Sendmail does.</summary>
    public string HeaderEol { get; init; } = "\n";

    /// <summary>One write per command, as Postfix does; otherwise commands that need no reply are batched.</summary>
    public bool WritePerCommand { get; init; }

    /// <summary>TCP_NODELAY on the client socket.</summary>
    public bool NoDelay { get; init; } = true;

    /// <summary>Send SMFIC_ABORT between two messages on one connection, as Postfix's mail_reset does.</summary>
    public bool AbortBetweenMessages { get; init; } = true;

    /// <summary>Body chunk size; Postfix's MILTER_CHUNK_SIZE is 65535.</summary>
    public int ChunkSize { get; init; } = 65535;

    /// <summary>Largest reply frame accepted from the filter.</summary>
    public int MaxFrame { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Experiment: do not wait for replies the filter will send before end of message (as if it had
    /// negotiated SMFIP_NR_*); they are read and must all be "continue" before the verdict. Shows what
    /// the request/reply turns cost. No real MTA does this.
    /// </summary>
    public bool PipelineExperiment { get; init; }

    /// <summary>Header whose addition at end of message makes a message count as ok (null: any accept).</summary>
    public string? ExpectHeader { get; init; }

    /// <summary>Text that the expected header's value must contain (e.g. "domainkeys=pass").</summary>
    public string? ExpectContains { get; init; }
}
