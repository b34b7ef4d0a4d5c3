namespace Milters.Testing.Peers;

/// <summary>One delivered message as a file in a Maildir, split into unfolded headers and body.</summary>
public sealed class MaildirMessage
{
    public MaildirMessage(string path, string raw)
    {
        Path = path;
        Raw = raw;
        var sep = raw.IndexOf("\n\n", StringComparison.Ordinal);
        var sepCrLf = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        int headerEnd, bodyStart;
        if (sepCrLf >= 0 && (sep < 0 || sepCrLf < sep)) { headerEnd = sepCrLf; bodyStart = sepCrLf + 4; }
        else if (sep >= 0) { headerEnd = sep; bodyStart = sep + 2; }
        else { headerEnd = raw.Length; bodyStart = raw.Length; }
        Body = raw[bodyStart..];

        var headers = new List<HeaderLine>();
        foreach (var line in raw[..headerEnd].Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t') && headers.Count > 0)
            {
                var last = headers[^1];
                headers[^1] = last with { Value = last.Value + "\n" + line };
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            headers.Add(new HeaderLine(line[..colon], line[(colon + 1)..]));
        }
        Headers = headers;
    }

    public string Path { get; }

    /// <summary>The file's bytes as text (line endings as delivered).</summary>
    public string Raw { get; }

    /// <summary>All header fields in order; Value is what follows the colon (leading space and folding kept).</summary>
    public IReadOnlyList<HeaderLine> Headers { get; }

    public string Body { get; }

    /// <summary>Values (trimmed, unfolded with single spaces) of every header field named NAME, in order.</summary>
    public IReadOnlyList<string> HeaderValues(string name) =>
        Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Unfolded).ToList();

    /// <summary>The first header named NAME (trimmed, unfolded), or null.</summary>
    public string? Header(string name) => HeaderValues(name).FirstOrDefault();

    public override string ToString() => $"{Path}:\n{Raw}";
}

/// <summary>A header field as delivered.</summary>
public sealed record HeaderLine(string Name, string Value)
{
    public string Unfolded => string.Join(' ', Value.Split('\n').Select(l => l.Trim('\r', ' ', '\t')).Where(l => l.Length > 0));
}

/// <summary>Reads what an MTA delivered into a Maildir (the files in <c>new/</c>, oldest first).</summary>
public sealed class Maildir(string path)
{
    /// <summary>The Maildir (holding cur/ new/ tmp/).</summary>
    public string Path { get; } = path;

    public string NewDir => System.IO.Path.Combine(Path, "new");

    public IReadOnlyList<string> Files()
    {
        if (!Directory.Exists(NewDir)) return [];
        return new DirectoryInfo(NewDir).GetFiles()
            .OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => f.FullName).ToList();
    }

    public IReadOnlyList<MaildirMessage> Messages() => Files().Select(Read).ToList();

    /// <summary>The newest delivered message, or null when none is there.</summary>
    public MaildirMessage? Last() => Files().LastOrDefault() is { } f ? Read(f) : null;

    /// <summary>Waits until at least COUNT messages are delivered, then returns them all (throws with the listing on timeout).</summary>
    public IReadOnlyList<MaildirMessage> WaitFor(int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var files = Files();
            if (files.Count >= count) return files.Select(Read).ToList();
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"{count} message(s) expected in {NewDir} within {timeout.TotalSeconds:0} s, found {files.Count}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for a message that satisfies PREDICATE (e.g. a unique Subject) and returns it.</summary>
    public MaildirMessage WaitFor(Func<MaildirMessage, bool> predicate, TimeSpan timeout, string what = "a matching message")
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var m = Files().Select(Read).LastOrDefault(predicate);
            if (m != null) return m;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"{what} not delivered to {NewDir} within {timeout.TotalSeconds:0} s ({Files().Count} other file(s) there)");
            Thread.Sleep(100);
        }
    }

    public void Clear()
    {
        foreach (var f in Files()) File.Delete(f);
    }

    private static MaildirMessage Read(string file)
    {
        // a delivery agent renames tmp/ -> new/ when done: the file is complete when we see it
        return new MaildirMessage(file, File.ReadAllText(file));
    }
}
