using System.Net;
using System.Text;
using Milters.Abstractions;
using Milters.SenderId.Spf;

namespace Milters.Fuzz;

/// <summary>
/// SPF records (RFC 7208 §4.6, RFC 4406 §3): the input is a TXT record (NUL splits it into character
/// strings, as DNS may), parsed on its own and then published for "fuzz.example" and evaluated by
/// check_host() for MAIL FROM and PRA, IPv4 and IPv6, against the shared in-memory zone. The parser throws
/// <see cref="SpfException"/> for a bad record; the evaluator turns that into permerror/temperror itself,
/// so nothing may escape it.
/// </summary>
public static class SpfRecordTarget
{
    private static readonly FuzzDns Dns = FuzzDns.Standard();
    private static readonly SpfEvaluator Evaluator = new(Dns, new SpfEvaluatorOptions { ReceiverName = "mx.example.net", DefaultExplanation = "see %{d}" });
    private static readonly SpfEvaluator BestGuess = new(Dns, new SpfEvaluatorOptions { BestGuessRecord = SpfEvaluatorOptions.SidFilterBestGuess, UseSpf1ForPra = false });
    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8::1");

    public static void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var strings = text.Split('\0');
        var record = new TxtRecord(strings);
        try
        {
            SpfRecordParser.Parse(record.Text);
        }
        catch (SpfException)
        {
        }
        try
        {
            SpfRecordSelector.Select([record, new TxtRecord(["v=spf1 -all"])], SpfScope.Pra);
            SpfRecordSelector.Select([record], SpfScope.Mfrom, useSpf1ForPra: false);
        }
        catch (SpfException)
        {
        }

        Dns.SetTxt("fuzz.example", record);
        Check(Evaluator, SpfRequest.ForMailFrom(V4, "user@fuzz.example", "helo.example"));
        Check(Evaluator, SpfRequest.ForMailFrom(V6, "user@fuzz.example", "helo.example", SpfScope.Mfrom));
        Check(Evaluator, new SpfRequest(V4, "first.last@fuzz.example", "helo.example", SpfScope.Pra));
        Check(BestGuess, SpfRequest.ForMailFrom(V4, "", "fuzz.example"));
    }

    private static void Check(SpfEvaluator evaluator, SpfRequest request) =>
        evaluator.CheckHostAsync(request).GetAwaiter().GetResult();
}
