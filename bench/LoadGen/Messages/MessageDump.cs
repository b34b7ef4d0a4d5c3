using System.Text;
using Milters.LoadGen.Protocol;

namespace Milters.LoadGen.Messages;

/// <summary>
/// Writes a message as the MTA would deliver it after the filter's edits (added/inserted header fields on
/// top, then the original header, then the body), so that an independent verifier (Mail::DKIM,
/// opendkim-testmsg) can check what the filter signed under load.
/// </summary>
internal static class MessageDump
{
    public static void Write(string directory, TestMessage message, IReadOnlyList<HeaderLine> added)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"msg-{message.Index:D6}.eml");
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        var header = new StringBuilder();
        foreach (var h in added.Concat(message.Headers))
        {
            string value = h.Value.Replace("\r\n", "\n").Replace("\n", "\r\n");
            header.Append(h.Name).Append(':').Append(value.StartsWith(' ') || value.StartsWith('\t') ? "" : " ").Append(value).Append("\r\n");
        }
        header.Append("\r\n");
        file.Write(Encoding.UTF8.GetBytes(header.ToString()));
        var writer = new FrameWriter(64 * 1024 + 16);
        var cursor = new BodyCursor(message);
        while (!cursor.Done)
        {
            writer.Clear();
            cursor.WriteChunk(writer, 64 * 1024);
            file.Write(writer.Written.Span);
        }
    }
}
