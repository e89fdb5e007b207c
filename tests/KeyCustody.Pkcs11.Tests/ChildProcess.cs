// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>
/// The test assembly's entry point, used only as a second process by the cross-process test:
/// <c>dotnet KeyCustody.Pkcs11.Tests.dll MODULE TOKEN-LABEL generate-and-sign|sign KEY DIGEST-HEX</c>, with the
/// user PIN on standard input (never on the command line). Prints <c>spki=HEX</c> and <c>signature=HEX</c> (DER ECDSA).
/// </summary>
public static class ChildProcess
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 5)
        {
            await Console.Error.WriteLineAsync("usage: MODULE TOKEN-LABEL generate-and-sign|sign KEY DIGEST-HEX   (PIN on stdin)");
            return 2;
        }

        string pin = (await Console.In.ReadLineAsync())?.Trim() ?? string.Empty;
        var options = new Pkcs11KeyStoreOptions
        {
            ModulePath = args[0],
            TokenLabel = args[1],
            UserPin = Pkcs11PinSources.FromValue(pin),
            PoolSize = 1,
        };
        try
        {
            await using var store = new Pkcs11KeyStore(options);
            KeyName name = KeyName.Parse(args[3]);
            KeyInfo key = args[2] == "generate-and-sign"
                ? await store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256))
                : await store.FindKeyAsync(name) ?? throw new CustodyException(CustodyStatus.NotFound, $"child: no key {name}");
            byte[] signature = await store.SignAsync(name, new SignInput(Convert.FromHexString(args[4]), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer));
            Console.WriteLine("spki=" + Convert.ToHexString(key.SubjectPublicKeyInfo.Span));
            Console.WriteLine("signature=" + Convert.ToHexString(signature));
            return 0;
        }
        catch (CustodyException ex)
        {
            await Console.Error.WriteLineAsync($"child: {ex.Status}: {ex.Message}");
            return 1;
        }
    }
}
