namespace Milters.Testing.Peers;

/// <summary>One SMTP transaction for <see cref="Swaks"/>.</summary>
public sealed class SwaksMessage
{
    public string Server { get; set; } = "127.0.0.1";

    public int Port { get; set; }

    public string From { get; set; } = "alice@example.com";

    public List<string> To { get; } = ["bob@example.org"];

    /// <summary>The EHLO name (swaks' --ehlo); null = swaks' default (the host name).</summary>
    public string? Helo { get; set; }

    /// <summary>Headers added with --header "Name: value" (swaks adds Date, To, From, Subject, Message-Id itself unless given).</summary>
    public List<string> Headers { get; } = new();

    public string? Subject { get; set; }

    public string? Body { get; set; }

    /// <summary>A complete message (headers + body) sent as DATA instead of swaks' generated one.</summary>
    public string? Data { get; set; }

    /// <summary>SMTP AUTH user and password (PLAIN), for an MSA that offers AUTH.</summary>
    public (string User, string Password)? Auth { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    public List<string> ExtraArgs { get; } = new();
}

/// <summary>The SMTP dialogue swaks printed and its exit code (0 = the message was accepted).</summary>
public sealed class SwaksResult(ProcessResult process)
{
    public ProcessResult Process { get; } = process;

    public int ExitCode => Process.ExitCode;

    /// <summary>Whole transcript ("=== " info, " -> " client, "&lt;-  " server, "&lt;** " server error lines).</summary>
    public string Dialogue => Process.Output;

    public bool Accepted => Process.Succeeded && ReplyToData is { } r && r.StartsWith('2');

    /// <summary>Every server reply line (without the "&lt;-  " / "&lt;** " prefix), in order.</summary>
    public IReadOnlyList<string> Replies =>
        Dialogue.Split('\n').Where(l => l.StartsWith("<-  ") || l.StartsWith("<** ")).Select(l => l[4..].TrimEnd('\r')).ToList();

    /// <summary>Server replies that swaks flagged as errors (4xx/5xx where it expected success).</summary>
    public IReadOnlyList<string> ErrorReplies =>
        Dialogue.Split('\n').Where(l => l.StartsWith("<** ")).Select(l => l[4..].TrimEnd('\r')).ToList();

    /// <summary>The first server error reply, or null.</summary>
    public string? FirstError => ErrorReplies.FirstOrDefault();

    /// <summary>The server's reply to the end of the message data (the " -> ." line), or null when DATA was never reached.</summary>
    public string? ReplyToData
    {
        get
        {
            var lines = Dialogue.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimEnd('\r') != " -> .") continue;
                for (var j = i + 1; j < lines.Length; j++)
                    if (lines[j].StartsWith("<-  ") || lines[j].StartsWith("<** ")) return lines[j][4..].TrimEnd('\r');
            }
            return null;
        }
    }

    public override string ToString() => $"swaks exit {ExitCode}:\n{Dialogue}";
}

/// <summary>Sends a message with swaks (Debian package swaks) and returns the dialogue.</summary>
public static class Swaks
{
    public static SwaksResult Send(SwaksMessage m)
    {
        if (m.Port <= 0) throw new ArgumentException("SwaksMessage.Port is required");
        var args = new List<string>
        {
            "--server", m.Server, "--port", m.Port.ToString(),
            "--from", m.From, "--to", string.Join(',', m.To),
            "--timeout", ((int)m.Timeout.TotalSeconds).ToString(),
        };
        if (m.Helo != null) args.AddRange(["--ehlo", m.Helo]);
        foreach (var h in m.Headers) args.AddRange(["--header", h]);
        if (m.Subject != null) args.AddRange(["--header", "Subject: " + m.Subject]);
        if (m.Body != null) args.AddRange(["--body", m.Body]);
        if (m.Auth is { } a) args.AddRange(["--auth", "PLAIN", "--auth-user", a.User, "--auth-password", a.Password]);
        string? stdin = null;
        if (m.Data != null)
        {
            args.AddRange(["--data", "-"]);
            stdin = m.Data;
        }
        args.AddRange(m.ExtraArgs);
        var r = ProcessRunner.Run("swaks", args, m.Timeout + TimeSpan.FromSeconds(30), stdin);
        return new SwaksResult(r);
    }
}
