namespace Milters.Testing.Peers;

public sealed class SendmailOptions : MtaOptions
{
    /// <summary>INPUT_MAIL_FILTER T= equate; null = the script's default (C:10s;S:30s;R:30s;E:60s).</summary>
    public string? MilterTimeouts { get; set; }

    /// <summary>m4 lines appended to the generated sendmail.mc.</summary>
    public string? McExtra { get; set; }
}

/// <summary>A private Sendmail 8.17 (tests/peers/sendmail.sh) with INPUT_MAIL_FILTER(`test', `S=the given milter').</summary>
public sealed class SendmailInstance : MtaInstance
{
    private SendmailInstance(TempDir dir, int port, int sub, MilterSocket? milter, string label) : base(dir, port, sub, milter) =>
        Label = label;

    public override string Name => "sendmail";

    protected override string Script => "sendmail.sh";

    /// <summary>This instance's syslog ident (sendmail -L), to find its lines in the shared syslog sink.</summary>
    public string Label { get; }

    public static SendmailInstance Start(SendmailOptions o)
    {
        string? label = null;
        return StartWithFreePorts("sendmail", o, (dir, port, sub) =>
        {
            label = "sm-" + System.IO.Path.GetFileName(dir.Path);
            var args = new List<string>
            {
                "start", "--dir", dir.Path, "--port", port.ToString(), "--submission-port", sub.ToString(),
                "--milter", o.Milter?.SendmailSpec ?? "none", "--milter-default-action", o.DefaultAction, "--label", label,
            };
            if (o.MilterTimeouts != null) args.AddRange(["--milter-timeouts", o.MilterTimeouts]);
            if (o.McExtra != null)
            {
                var f = dir["extra.m4"];
                File.WriteAllText(f, o.McExtra);
                args.AddRange(["--mc-extra", f]);
            }
            return PeerScripts.Run("sendmail.sh", args);
        }, (dir, port, sub) => new SendmailInstance(dir, port, sub, o.Milter, label!));
    }

    public static SendmailInstance Start(MilterSocket? milter, string defaultAction = "tempfail") =>
        Start(new SendmailOptions { Milter = milter, DefaultAction = defaultAction });

    public override string LogTail(int lines = 40)
    {
        var r = PeerScripts.Run("sendmail.sh", ["log", "--dir", Dir.Path], TimeSpan.FromSeconds(30));
        var all = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"--- last {Math.Min(lines, all.Length)} syslog lines of {Label} ---\n" + string.Join('\n', all.TakeLast(lines));
    }
}
