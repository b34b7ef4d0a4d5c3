using System.Text;

namespace Milters.Host.Milter.Protocol;

/// <summary>NUL-terminated strings inside a payload, read strictly: every string must end in NUL.</summary>
internal ref struct CStrings(ReadOnlySpan<byte> data, string command)
{
    private ReadOnlySpan<byte> rest = data;

    public readonly bool IsEmpty => rest.IsEmpty;

    public readonly ReadOnlySpan<byte> Rest => rest;

    /// <summary>The next string's bytes (without its NUL); throws if no NUL follows.</summary>
    public ReadOnlySpan<byte> Next(string what) =>
        TryNext(out var value) ? value : throw new MilterProtocolException($"{command}: {what} is not NUL-terminated");

    /// <summary>The next string's bytes, or false (nothing consumed) when no NUL follows.</summary>
    public bool TryNext(out ReadOnlySpan<byte> value)
    {
        int nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            value = default;
            return false;
        }
        value = rest[..nul];
        rest = rest[(nul + 1)..];
        return true;
    }

    public byte NextByte(string what)
    {
        if (rest.IsEmpty) throw new MilterProtocolException($"{command}: {what} missing");
        byte b = rest[0];
        rest = rest[1..];
        return b;
    }

    public ushort NextUInt16(string what)
    {
        if (rest.Length < 2) throw new MilterProtocolException($"{command}: {what} missing");
        ushort v = (ushort)((rest[0] << 8) | rest[1]);
        rest = rest[2..];
        return v;
    }

    public readonly void End()
    {
        if (!rest.IsEmpty)
            throw new MilterProtocolException($"{command}: {rest.Length} unexpected byte(s) after the last field");
    }

    /// <summary>
    /// MTAs pass bytes through (8-bit HELO names, RFC 6532 headers); invalid UTF-8 is replaced rather than
    /// rejected so one odd client cannot end the milter connection.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);

    public static void ExpectEmpty(ReadOnlySpan<byte> data, string command)
    {
        if (!data.IsEmpty)
            throw new MilterProtocolException($"{command}: carries {data.Length} byte(s) of data, expected none");
    }
}
