namespace Milters.Host.Milter.Protocol;

/// <summary>SMFIC_MAIL / SMFIC_RCPT: address\0 then ESMTP arguments, each \0-terminated.</summary>
public static class EnvelopePayload
{
    /// <summary>
    /// Returns the address without one pair of angle brackets ("&lt;&gt;" gives ""); an address the MTA
    /// sent without balanced brackets is kept as it came.
    /// </summary>
    public static string Parse(ReadOnlySpan<byte> data, string command, IList<string> arguments)
    {
        var s = new CStrings(data, command);
        // An empty address is the null sender as Postfix's cleanup sends it (non_smtpd_milters: sendmail(1), pickup,
        // bounces; "Sendmail 8.13 does not externalize the null address"), the same as "<>" — libmilter takes it.
        // Refusing it closed the connection and held every such local message in Postfix's queue (found by a
        // comparison with libmilter, confirmed through real Postfix).
        var raw = s.Next("address");
        while (!s.IsEmpty)
        {
            var arg = s.Next("ESMTP argument");
            // An empty argument carries nothing; skipping it is safer than ending the connection.
            if (!arg.IsEmpty) arguments.Add(CStrings.Decode(arg));
        }
        if (raw.Length >= 2 && raw[0] == (byte)'<' && raw[^1] == (byte)'>') raw = raw[1..^1];
        return CStrings.Decode(raw);
    }
}
