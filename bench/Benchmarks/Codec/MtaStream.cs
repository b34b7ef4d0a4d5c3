using System.Buffers.Binary;
using System.Text;
using Milters.Benchmarks.Support;

namespace Milters.Benchmarks.Codec;

/// <summary>The bytes an MTA sends for one message session (Postfix order), built once for the codec benchmarks.</summary>
internal static class MtaStream
{
    public static byte[] Build(int bodySize, out int frames)
    {
        var ms = new MemoryStream();
        int count = 0;
        void Frame(char command, params byte[][] parts)
        {
            int length = 1 + parts.Sum(p => p.Length);
            Span<byte> prefix = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, length);
            ms.Write(prefix);
            ms.WriteByte((byte)command);
            foreach (var p in parts) ms.Write(p);
            count++;
        }
        static byte[] Z(string s) => Encoding.ASCII.GetBytes(s + "\0");
        Frame('D', [(byte)'C'], Z("j"), Z("mta.example.com"), Z("{daemon_name}"), Z("MSA"), Z("_"), Z("localhost [127.0.0.1]"));
        Frame('C', Z("localhost"), [(byte)'4', 0x9c, 0x59], Z("127.0.0.1"));
        Frame('H', Z("client.example.com"));
        Frame('D', [(byte)'M'], Z("i"), Z("4LABC123"), Z("{auth_authen}"), Z("alice"), Z("{auth_type}"), Z("PLAIN"));
        Frame('M', Z("<alice@example.com>"), Z("SIZE=4096"));
        Frame('D', [(byte)'R'], Z("i"), Z("4LABC123"), Z("{rcpt_addr}"), Z("bob@example.org"));
        Frame('R', Z("<bob@example.org>"));
        Frame('T');
        foreach (var (name, value) in BenchText.Headers) Frame('L', Z(name), Z(value));
        Frame('N');
        byte[] body = BenchText.Body(bodySize);
        for (int off = 0; off < body.Length; off += 65535)
            Frame('B', body.AsSpan(off, Math.Min(65535, body.Length - off)).ToArray());
        Frame('D', [(byte)'E'], Z("i"), Z("4LABC123"));
        Frame('E');
        frames = count;
        return ms.ToArray();
    }
}
