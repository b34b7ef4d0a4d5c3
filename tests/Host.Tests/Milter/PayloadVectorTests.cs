using System.Text;
using System.Text.Json;
using Milters.Abstractions;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Tests.Milter;

/// <summary>The "commands" of tests/data/milter/vectors.json through our payload parsers.</summary>
public class PayloadVectorTests
{
    /// <summary>
    /// Rejections the vectors mark as purepythonmilter's own policy that we do not share: MTAs pass 8-bit
    /// bytes through (HELO names, RFC 6532 headers, odd ESMTP parameters), and ending the milter connection
    /// over them would fail every later message of that SMTP session. We decode with U+FFFD instead; and an
    /// OPTNEG longer than 12 bytes is read as libmilter reads it, its first 12 bytes. The other policy vectors
    /// (data on ABORT/QUIT) we refuse like purepythonmilter: no MTA sends them. What each accepted vector decodes
    /// to is in <see cref="Policy_vectors_we_accept_decode_as_read"/>.
    /// </summary>
    private static readonly HashSet<string> PolicyWeAccept =
    [
        "macro-10", "macro-11", "connect-13", "connect-17", "connect-18", "connect-20",
        "mailfrom-invalid-04", "mailfrom-invalid-05", "rcptto-invalid-04", "rcptto-invalid-05",
        // More than 12 bytes: libmilter reads the first 12 and ignores the rest; so do we.
        "optneg-invalid-3",
    ];

    /// <summary>
    /// Vectors real MTAs contradict: Postfix's cleanup (non_smtpd_milters) sends the null sender as an empty
    /// address, and libmilter takes it (and an empty recipient) — so do we, as "&lt;&gt;".
    /// </summary>
    private static readonly HashSet<string> MtasSend = ["mailfrom-invalid-01", "rcptto-invalid-01"];

    public static IEnumerable<object[]> All => Vectors.Ids("commands");

    [Theory]
    [MemberData(nameof(All))]
    public void Command_vector(string id)
    {
        var v = Vectors.ById("commands", id);
        char command = v.GetProperty("command").GetString()![0];
        var data = Vectors.Hex(v, "data_hex");
        bool valid = v.GetProperty("valid").GetBoolean();
        if (!valid && Vectors.IsPolicy(v) && PolicyWeAccept.Contains(id)) valid = true;
        if (!valid && MtasSend.Contains(id))
        {
            var arguments = new List<string>();
            Assert.Equal("", EnvelopePayload.Parse(data, command == 'M' ? "SMFIC_MAIL" : "SMFIC_RCPT", arguments));
            Assert.Empty(arguments);
            return;
        }

        if (!valid)
        {
            var ex = Assert.Throws<MilterProtocolException>(() => Parse(command, data));
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            return;
        }

        var parsed = Parse(command, data);
        if (v.TryGetProperty("expected", out var expected) && expected.ValueKind == JsonValueKind.Object && !PolicyWeAccept.Contains(id))
            Check(command, parsed, expected);
    }

    private static object? Parse(char command, byte[] data)
    {
        switch (command)
        {
            case 'O': return OptionNegotiation.Parse(data);
            case 'D':
            {
                var pairs = new List<KeyValuePair<string, string>>();
                var stage = MacroPayload.Parse(data, pairs);
                return (stage, pairs);
            }
            case 'C': return ConnectPayload.Parse(data);
            case 'H': return SimplePayloads.ParseHelo(data);
            case 'M':
            case 'R':
            {
                var args = new List<string>();
                var address = EnvelopePayload.Parse(data, command == 'M' ? "SMFIC_MAIL" : "SMFIC_RCPT", args);
                return (address, args);
            }
            case 'L':
            {
                HeaderPayload.Parse(data, out var name, out var value);
                return (Encoding.ASCII.GetString(name), value.ToArray());
            }
            case 'B': return data; // body chunks are raw bytes: no parser
            case 'A': SimplePayloads.ExpectEmpty(data, MilterCommand.Abort); return null;
            case 'Q': SimplePayloads.ExpectEmpty(data, MilterCommand.Quit); return null;
            case 'U': return SimplePayloads.ParseUnknown(data);
            default: throw new InvalidOperationException($"no parser for '{command}'");
        }
    }

    private static void Check(char command, object? parsed, JsonElement expected)
    {
        switch (command)
        {
            case 'O':
            {
                var o = (OptionNegotiation)parsed!;
                Assert.Equal(expected.GetProperty("version").GetUInt32(), o.Version);
                Assert.Equal(expected.GetProperty("actions").GetUInt32(), (uint)o.Actions);
                Assert.Equal(expected.GetProperty("protocol").GetUInt32(), (uint)o.Protocol);
                break;
            }
            case 'D':
            {
                var (stage, pairs) = ((MacroStage, List<KeyValuePair<string, string>>))parsed!;
                Assert.Equal(MacroPayload.StageOf((byte)expected.GetProperty("stage").GetString()![0]), stage);
                var macros = expected.GetProperty("macros").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!)).ToList();
                Assert.Equal(macros, pairs);
                break;
            }
            case 'C':
            {
                var c = (ConnectionInfo)parsed!;
                Assert.Equal(expected.GetProperty("hostname").GetString(), c.HostName);
                var family = expected.GetProperty("family").GetString() switch
                {
                    "4" => ClientFamily.Inet, "6" => ClientFamily.Inet6, "L" => ClientFamily.Unix, _ => ClientFamily.Unknown,
                };
                Assert.Equal(family, c.Family);
                if (expected.TryGetProperty("port", out var port)) Assert.Equal(port.GetInt32(), c.Port);
                if (expected.TryGetProperty("address", out var address)) Assert.Equal(address.GetString(), c.Address!.ToString());
                if (expected.TryGetProperty("path", out var path)) Assert.Equal(path.GetString(), c.UnixPath);
                break;
            }
            case 'H':
            {
                var name = (string)parsed!;
                if (expected.TryGetProperty("hostname", out var h)) Assert.Equal(h.GetString(), name);
                else Assert.Equal(Encoding.UTF8.GetString(Vectors.Hex(expected, "hostname_bytes_hex")), name);
                break;
            }
            case 'M':
            case 'R':
            {
                var (address, args) = ((string, List<string>))parsed!;
                Assert.Equal(expected.GetProperty("address").GetString(), address);
                // purepythonmilter's dictionary: the last duplicate keyword wins; a keyword without '=' has no value.
                var dict = new Dictionary<string, string?>();
                foreach (var a in args)
                {
                    int eq = a.IndexOf('=');
                    dict[eq < 0 ? a : a[..eq]] = eq < 0 ? null : a[(eq + 1)..];
                }
                var want = expected.GetProperty("esmtp_args").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString());
                Assert.Equal(want.OrderBy(k => k.Key), dict.OrderBy(k => k.Key));
                break;
            }
            case 'L':
            {
                var (name, value) = ((string, byte[]))parsed!;
                Assert.Equal(expected.GetProperty("name").GetString(), name);
                var want = expected.TryGetProperty("value", out var text) ? Encoding.UTF8.GetBytes(text.GetString()!) : Vectors.Hex(expected, "value_bytes_hex");
                Assert.Equal(want, value);
                break;
            }
            case 'B':
                Assert.Equal(Vectors.Hex(expected, "chunk_hex"), (byte[])parsed!);
                break;
            case 'U':
                Assert.Equal(Encoding.UTF8.GetString(Vectors.Hex(expected, "command_bytes_hex")), (string)parsed!);
                break;
        }
    }

    [Theory]
    [InlineData("connect-13", "[172.\uFFFD.0.1]")]
    [InlineData("macro-11", "172.\uFFFD7.0.2")]
    public void Policy_vectors_we_accept_decode_invalid_utf8_as_replacement(string id, string expectedText)
    {
        var v = Vectors.ById("commands", id);
        Assert.True(Vectors.IsPolicy(v));
        var parsed = Parse(v.GetProperty("command").GetString()![0], Vectors.Hex(v, "data_hex"));
        var text = parsed switch
        {
            ConnectionInfo c => c.HostName,
            (MacroStage, List<KeyValuePair<string, string>> pairs) => pairs[1].Value,
            _ => null,
        };
        Assert.Equal(expectedText, text);
    }

    [Theory]
    [InlineData("host\0" + "4\u0000\u0019" + "1\0")]        // inet_aton short form
    [InlineData("host\0" + "4\u0000\u0019" + "0x7f.0.0.1\0")]
    [InlineData("host\0" + "4\u0000\u0019" + "::1\0")]       // IPv6 under family 4
    [InlineData("host\0" + "6\u0000\u0019" + "127.0.0.1\0")] // IPv4 under family 6
    [InlineData("host\0" + "4\u0000\u0019" + "127.0.0.1\0x")] // leftover
    [InlineData("host\0" + "U" + "x")]                        // data after unknown family
    [InlineData("host\0" + "4\u0000")]                        // port cut short
    public void Connect_refuses_addresses_that_do_not_fit_the_family(string payload)
    {
        Assert.Throws<MilterProtocolException>(() => ConnectPayload.Parse(Encoding.Latin1.GetBytes(payload)));
    }

    [Fact]
    public void Connect_reads_sendmails_IPv6_prefix()
    {
        var c = ConnectPayload.Parse(Encoding.Latin1.GetBytes("h\0" + "6\u0000\u0019" + "IPv6:2001:db8::1\0"));
        Assert.Equal("2001:db8::1", c.Address!.ToString());
        Assert.Equal(25, c.Port);
    }

    [Theory]
    [InlineData("<>\0", "")]
    [InlineData("<a@b>\0SIZE=10\0\0BODY=8BITMIME\0", "a@b")]
    public void Envelope_strips_one_pair_of_brackets_and_skips_empty_arguments(string payload, string address)
    {
        var args = new List<string>();
        Assert.Equal(address, EnvelopePayload.Parse(Encoding.Latin1.GetBytes(payload), "SMFIC_MAIL", args));
        Assert.DoesNotContain("", args);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0")]
    [InlineData("Subject\0x\0y\0")]
    public void Header_payload_must_be_exactly_name_and_value(string payload)
    {
        Assert.Throws<MilterProtocolException>(() => HeaderPayload.Parse(Encoding.Latin1.GetBytes(payload), out _, out _));
    }

    [Theory]
    [InlineData("00000002000000000000007f", 2u)]
    [InlineData("00000006000001ff001fffff", 6u)]
    public void Option_negotiation_accepts_versions_2_to_6(string hex, uint version)
    {
        Assert.Equal(version, OptionNegotiation.Parse(Convert.FromHexString(hex)).Version);
    }

    [Fact]
    public void Option_negotiation_refuses_version_1()
    {
        Assert.Throws<MilterProtocolException>(() => OptionNegotiation.Parse(Convert.FromHexString("000000010000000f0000003f")));
    }

    [Fact]
    public void Macro_stage_must_be_a_command_letter()
    {
        Assert.Throws<MilterProtocolException>(() => MacroPayload.Parse("Xj\0v\0"u8, new()));
    }

    private const string Bad = "\uFFFD";

    /// <summary>The values, read off each vector's bytes by hand: invalid UTF-8 becomes U+FFFD, nothing else changes.</summary>
    [Theory]
    [InlineData("optneg-invalid-3", "6|0|0")]
    [InlineData("macro-10", "Connect|j=myhost.sub.example.com,{" + Bad + "aemon_addr}=172.17.0.2")]
    [InlineData("macro-11", "Connect|j=myhost.sub.example.com,{daemon_addr}=172." + Bad + "7.0.2")]
    [InlineData("connect-13", "[172." + Bad + ".0.1]|Inet|49974|172.17.0.1")]
    [InlineData("connect-17", "[2607:f8b0:4864:20::" + Bad + "]|Inet6|41750|2607:f8b0:4864:20::748")]
    [InlineData("connect-18", "[" + Bad + ".17.0.1]|Inet|49974|172.17.0.1")]
    [InlineData("connect-20", "ignored_hostname|Unix|/run/" + Bad + "ysock")]
    [InlineData("mailfrom-invalid-04", "g@g3rt.nl|F\u00f3\u00f3=BAR,SIZE=1234")]
    [InlineData("mailfrom-invalid-05", "g@g3rt.nl|FOO==BAR,SIZE=1234")]
    [InlineData("rcptto-invalid-04", "g@g3rt.nl|F\u00f3\u00f3=BAR,SIZE=1234")]
    [InlineData("rcptto-invalid-05", "g@g3rt.nl|FOO==BAR,SIZE=1234")]
    public void Policy_vectors_we_accept_decode_as_read(string id, string expected)
    {
        Assert.Contains(id, PolicyWeAccept);
        var v = Vectors.ById("commands", id);
        var command = v.GetProperty("command").GetString()![0];
        var parsed = Parse(command, Vectors.Hex(v, "data_hex"));
        var actual = parsed switch
        {
            OptionNegotiation o => $"{o.Version}|{(uint)o.Actions}|{(uint)o.Protocol}",
            (MacroStage stage, List<KeyValuePair<string, string>> pairs) => $"{stage}|{string.Join(',', pairs.Select(p => $"{p.Key}={p.Value}"))}",
            ConnectionInfo c when c.Family == ClientFamily.Unix => $"{c.HostName}|{c.Family}|{c.UnixPath}",
            ConnectionInfo c => $"{c.HostName}|{c.Family}|{c.Port}|{c.Address}",
            (string address, List<string> args) => $"{address}|{string.Join(',', args)}",
            _ => throw new InvalidOperationException(id),
        };
        Assert.Equal(expected, actual);
    }
}
