namespace Milters.Testing.Peers;

public sealed class PostfixOptions : MtaOptions
{
    /// <summary>"user:password": offer AUTH PLAIN/LOGIN on the MSA port.</summary>
    public string? Sasl { get; set; }

    /// <summary>Extra main.cf parameters, "name = value".</summary>
    public List<string> Set { get; } = new();

    /// <summary>Listen on [::1] too (same ports), so clients can connect over IPv6.</summary>
    public bool Ipv6 { get; set; }
}

/// <summary>A private Postfix (tests/peers/postfix.sh) with smtpd_milters = the given milter.</summary>
public sealed class PostfixInstance : MtaInstance
{
    private PostfixInstance(TempDir dir, int port, int sub, MilterSocket? milter) : base(dir, port, sub, milter) { }

    public override string Name => "postfix";

    protected override string Script => "postfix.sh";

    public string LogPath => Dir["log/maillog"];

    public static PostfixInstance Start(PostfixOptions o) =>
        StartWithFreePorts("postfix", o, (dir, port, sub) =>
        {
            var args = new List<string>
            {
                "start", "--dir", dir.Path, "--port", port.ToString(), "--submission-port", sub.ToString(),
                "--milter", o.Milter?.PostfixSpec ?? "none", "--milter-default-action", o.DefaultAction,
            };
            if (o.Sasl != null) args.AddRange(["--sasl", o.Sasl]);
            if (o.Ipv6) args.Add("--ipv6");
            foreach (var s in o.Set) args.AddRange(["--set", s]);
            return PeerScripts.Run("postfix.sh", args);
        }, (dir, port, sub) => new PostfixInstance(dir, port, sub, o.Milter));

    public static PostfixInstance Start(MilterSocket? milter, string defaultAction = "tempfail") =>
        Start(new PostfixOptions { Milter = milter, DefaultAction = defaultAction });

    public override string LogTail(int lines = 40) => DnsServer.Tail(LogPath, lines);

    /// <summary>
    /// Submits <paramref name="message"/> (LF line ends) with Postfix's own sendmail(1) — postdrop, pickup, cleanup:
    /// the path of mail from local programs and cron, filtered by non_smtpd_milters rather than smtpd_milters.
    /// </summary>
    public ProcessResult SubmitLocally(string sender, string message) =>
        ProcessRunner.Run("/usr/sbin/sendmail", ["-C", Dir["etc"], "-f", sender, "-t", "-i"], TimeSpan.FromSeconds(60), stdin: message);
}
