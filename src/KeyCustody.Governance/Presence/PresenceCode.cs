// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;

namespace KeyCustody.Governance;

/// <summary>
/// The short code that lets the person at the box check which request the button will confirm: shown next to
/// the blinking LED's request in <c>keycustody pending</c>. Four Crockford base32 characters (no I, L, O, U)
/// taken from SHA-256 over the request id and its server nonce, so the same request always shows the same code
/// and another request's code cannot be predicted before its nonce exists.
/// </summary>
public static class PresenceCode
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>Number of characters in a code.</summary>
    public const int Length = 4;

    /// <summary>Derives the code for a request.</summary>
    public static string Derive(string requestId, string nonce)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        ArgumentException.ThrowIfNullOrEmpty(nonce);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"keycustody-presence-code\n{requestId}\n{nonce}"));
        uint bits = (uint)(hash[0] << 16 | hash[1] << 8 | hash[2]);
        var code = new char[Length];
        for (int i = 0; i < Length; i++)
        {
            code[i] = Alphabet[(int)(bits >> (19 - 5 * i)) & 0x1F];
        }

        return new string(code);
    }
}
