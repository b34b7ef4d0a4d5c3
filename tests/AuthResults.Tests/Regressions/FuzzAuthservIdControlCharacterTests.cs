using System.Text;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests.Regressions;

/// <summary>
/// Inputs the authres fuzzer saved (fuzz/corpus/authres/finding-*): a quoted authserv-id holding a TAB
/// (and invalid UTF-8). The parser keeps the TAB, as RFC 5322 §3.2.4 allows white space in a
/// quoted-string; the formatter writes control characters as a space on purpose, so the written field
/// reads back with a space there and otherwise unchanged. The first fuzz oracle expected the TAB back.
/// </summary>
public class FuzzAuthservIdControlCharacterTests
{
    [Theory]
    // ` "\xC3 1  ;   \t  g"; none`
    [InlineData("2022c3203120203b20202009202067223b206e6f6e65", 0)]
    // `"]\xB5f\\\\si.co\x92; iprev=pass\tpolic0::2:2" (mout0.freen smtp.from=markuset.de); spf=ne smtp.from=markuslaud~`
    [InlineData("225db5665c5c5c5c73692e636f923b2069707265763d7061737309706f6c6963303a3a323a322220286d6f7574302e667265656e20736d74702e66726f6d3d6d61726b757365742e6465293b207370663d6e6520736d74702e66726f6d3d6d61726b75736c6175647e", 1)]
    public void Tab_in_a_quoted_authserv_id_is_written_as_a_space_and_reads_back(string hex, int results)
    {
        var value = Encoding.UTF8.GetString(Convert.FromHexString(hex));
        Assert.True(AuthResultsParser.TryParse(value, out var header, out var error), error);
        Assert.Contains('\t', header!.AuthservId);
        Assert.Equal(results, header.Results.Count);

        var written = new AuthResultsFormatter().FormatValue(header);
        Assert.True(AuthResultsParser.TryParse(written, out var again, out error), $"{error}: {written}");
        Assert.Equal(header.AuthservId.Replace('\t', ' '), again!.AuthservId);
        Assert.Equal(header.Results.Select(r => (r.Method, r.Result)), again.Results.Select(r => (r.Method, r.Result)));
    }
}
