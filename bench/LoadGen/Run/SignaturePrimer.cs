using Milters.LoadGen.Client;
using Milters.LoadGen.Messages;

namespace Milters.LoadGen.Run;

/// <summary>
/// Prepares verify traffic: signs each size class's fixed message once through a signing filter
/// and keeps the signature header it added, so the verify run sends validly signed mail.
/// </summary>
internal static class SignaturePrimer
{
    public static async Task PrimeAsync(MessageFactory factory, SocketSpec socket, string headerName, LoadOptions options, CancellationToken cancel)
    {
        var signer = new TrafficProfile(TrafficKind.Sign, options.ClientAddress, "mta." + options.Domain);
        var client = new ClientOptions { HeaderEol = options.Client.HeaderEol, ExpectHeader = headerName };
        for (int sizeClass = 0; sizeClass < factory.Sizes.Classes.Count; sizeClass++)
        {
            await using var connection = await MilterConnection.OpenAsync(socket, client, signer, cancel).ConfigureAwait(false);
            if (!connection.Usable) throw new InvalidOperationException($"priming: {connection.ConnectionVerdict}");
            var outcome = await connection.SendMessageAsync(factory.Template(sizeClass), cancel).ConfigureAwait(false);
            if (!outcome.IsOk)
                throw new InvalidOperationException($"priming size class {SizeMix.FormatSize(factory.Sizes.Classes[sizeClass].Size)} via {socket.Text}: {outcome.Kind} {outcome.Detail}");
            var signature = outcome.AddedHeaders.First(h => h.Name.Equals(headerName, StringComparison.OrdinalIgnoreCase));
            // The filter sends the value as it should appear after "Name:"; the MTA inserts it verbatim.
            string value = signature.Value.StartsWith(' ') ? signature.Value[1..] : signature.Value;
            factory.SetPrimedSignature(sizeClass, new HeaderLine(signature.Name, value.Replace("\r\n", "\n").Replace("\n", "\r\n")));
        }
    }
}
