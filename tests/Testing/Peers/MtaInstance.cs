namespace Milters.Testing.Peers;

/// <summary>How a private MTA instance is started.</summary>
public class MtaOptions
{
    /// <summary>The milter the MTA calls; null = no milter.</summary>
    public MilterSocket? Milter { get; set; }

    /// <summary>What the MTA does when the milter is unreachable or fails: accept | tempfail | reject (Postfix also quarantine).</summary>
    public string DefaultAction { get; set; } = "tempfail";

    /// <summary>MTA listener ({daemon_name}=MTA); 0 = a free port.</summary>
    public int Port { get; set; }

    /// <summary>MSA listener ({daemon_name}=MSA); 0 = a free port.</summary>
    public int SubmissionPort { get; set; }
}

/// <summary>
/// A private Postfix or Sendmail started by its peer script on two loopback ports with its own state
/// directory, delivering every recipient into <see cref="Maildir"/>. Stopped on Dispose.
/// </summary>
public abstract class MtaInstance : IDisposable
{
    private bool disposed;

    protected MtaInstance(TempDir dir, int port, int submissionPort, MilterSocket? milter)
    {
        Dir = dir;
        Port = port;
        SubmissionPort = submissionPort;
        Milter = milter;
    }

    /// <summary>Starts a private Postfix or Sendmail calling MILTER (null = none) with the given default action.</summary>
    public static MtaInstance Start(MtaKind kind, MilterSocket? milter, string defaultAction = "tempfail") => kind switch
    {
        MtaKind.Postfix => PostfixInstance.Start(milter, defaultAction),
        MtaKind.Sendmail => SendmailInstance.Start(milter, defaultAction),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>"postfix" or "sendmail".</summary>
    public abstract string Name { get; }

    public TempDir Dir { get; }

    public int Port { get; }

    public int SubmissionPort { get; }

    public MilterSocket? Milter { get; }

    public Maildir Maildir => new(Dir["mail/Maildir"]);

    /// <summary>The last lines of the MTA's log (for failure messages).</summary>
    public abstract string LogTail(int lines = 40);

    /// <summary>Sends with swaks to the MTA port (or the MSA port with submission: true).</summary>
    public SwaksResult Send(SwaksMessage message, bool submission = false)
    {
        if (message.Port == 0) message.Port = submission ? SubmissionPort : Port;
        return Swaks.Send(message);
    }

    /// <summary>Text for assertion messages: what happened on the MTA side.</summary>
    public string Describe() => $"{Name} in {Dir.Path} (ports {Port}/{SubmissionPort}, milter {Milter?.ToString() ?? "none"})\n{LogTail()}";

    protected abstract string Script { get; }

    protected static T StartWithFreePorts<T>(string prefix, MtaOptions o, Func<TempDir, int, int, ProcessResult> start,
        Func<TempDir, int, int, T> create) where T : MtaInstance
    {
        var dir = new TempDir(prefix);
        try
        {
            ProcessResult? last = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var free = FreePort.Tcp(2);
                var port = o.Port > 0 ? o.Port : free[0];
                var sub = o.SubmissionPort > 0 ? o.SubmissionPort : free[1];
                last = start(dir, port, sub);
                if (last.Succeeded) return create(dir, port, sub);
                if (!last.Output.Contains("already in use") || (o.Port > 0 && o.SubmissionPort > 0)) break;
            }
            throw new PeerException($"{prefix} did not start:\n{last}");
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        PeerScripts.Run(Script, ["stop", "--dir", Dir.Path], TimeSpan.FromSeconds(60));
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The two real MTAs the tests run.</summary>
public enum MtaKind
{
    Postfix,
    Sendmail,
}
