// CPU per RSA-2048 PKCS#1 v1.5 signature over a SHA-1 digest through .NET's RSA (the runtime's OpenSSL shim), as the
// DomainKeys plugin signs: on one thread ("one"), or each signature on a thread-pool thread as the host hands end of
// message off ("pool"). Warm first (the JIT's tiering would otherwise be measured). Run by rsa-sign-cost.sh.
using System.Diagnostics;
using System.Security.Cryptography;

using var rsa = RSA.Create();
rsa.ImportFromPem(File.ReadAllText(args[0]));
var count = int.Parse(args[1]);
var mode = args.Length > 2 ? args[2] : "one";
var digest = new byte[20];
var signature = new byte[256];

void Sign()
{
    rsa.TrySignHash(digest, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1, out _);
    digest[0] = signature[0];
}

async Task RunAsync(int n)
{
    if (mode == "pool")
        for (var i = 0; i < n; i++) await Task.Run(Sign);
    else
        for (var i = 0; i < n; i++) Sign();
}

await RunAsync(3000);
await Task.Delay(1000);
var process = Process.GetCurrentProcess();
var before = process.TotalProcessorTime;
await RunAsync(count);
process.Refresh();
var seconds = (process.TotalProcessorTime - before).TotalSeconds;
Console.WriteLine($".NET {mode}: {seconds * 1000 / count:F4} ms/signature, {count / seconds:F0} per CPU-second");
