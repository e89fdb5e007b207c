// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Parsing;

/// <summary>The CLI spellings of signature schemes and other protocol enums.</summary>
public static class SchemeText
{
    /// <summary>The names <c>--scheme</c> accepts, in the order help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["default", "ecdsa-der", "ecdsa-raw", "ed25519", "rsa-pkcs1", "rsa-pss"];

    /// <summary>Parses a <c>--scheme</c> value (case-insensitive); "default" lets the key choose.</summary>
    public static bool TryParse(string? text, out SignatureScheme scheme)
    {
        scheme = text?.ToLowerInvariant() switch
        {
            null or "" or "default" => SignatureScheme.Unspecified,
            "ecdsa-der" => SignatureScheme.EcdsaDer,
            "ecdsa-raw" => SignatureScheme.EcdsaRaw,
            "ed25519" => SignatureScheme.Ed25519,
            "rsa-pkcs1" => SignatureScheme.RsaPkcs1,
            "rsa-pss" => SignatureScheme.RsaPss,
            _ => (SignatureScheme)(-1),
        };
        return (int)scheme >= 0;
    }

    /// <summary>The CLI spelling of <paramref name="scheme"/>.</summary>
    public static string Name(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.Unspecified => "default",
        SignatureScheme.EcdsaDer => "ecdsa-der",
        SignatureScheme.EcdsaRaw => "ecdsa-raw",
        SignatureScheme.Ed25519 => "ed25519",
        SignatureScheme.RsaPkcs1 => "rsa-pkcs1",
        SignatureScheme.RsaPss => "rsa-pss",
        _ => scheme.ToString(),
    };

    /// <summary>A request state as officers read it: "awaiting approvals", "signed", …</summary>
    public static string Name(SigningRequestState state) => state switch
    {
        SigningRequestState.AwaitingApprovals => "awaiting approvals",
        SigningRequestState.AwaitingPresence => "awaiting presence (queued)",
        SigningRequestState.PresenceActive => "awaiting presence (owns the button)",
        SigningRequestState.Signed => "signed",
        SigningRequestState.Denied => "denied",
        SigningRequestState.Expired => "expired",
        SigningRequestState.Cancelled => "cancelled",
        SigningRequestState.Failed => "failed",
        _ => "unknown",
    };

    /// <summary>A key algorithm as policies spell it ("ecdsa-p256", …).</summary>
    public static string Name(KeyAlgorithm algorithm) =>
        (int)algorithm is >= 1 and <= 5 ? Core.Algorithms.Name((Core.KeyAlgorithm)(int)algorithm) : "unknown";

    /// <summary>A key status in lower case ("active", "retired", …).</summary>
    public static string Name(KeyStatus status) => status switch
    {
        KeyStatus.Active => "active",
        KeyStatus.Retiring => "retiring",
        KeyStatus.Retired => "retired",
        KeyStatus.Revoked => "revoked",
        KeyStatus.Frozen => "frozen",
        _ => "unknown",
    };

    /// <summary>Whether the request will not change any more.</summary>
    public static bool IsTerminal(SigningRequestState state) =>
        state is SigningRequestState.Signed or SigningRequestState.Denied or SigningRequestState.Expired
            or SigningRequestState.Cancelled or SigningRequestState.Failed;

    /// <summary>The proto digest algorithm for a Core one (the numbers are kept equal on purpose).</summary>
    public static Protocol.V1.DigestAlgorithm ToProto(Core.DigestAlgorithm algorithm) => (Protocol.V1.DigestAlgorithm)(int)algorithm;

    /// <summary>A proto digest as <c>sha256:hex</c>.</summary>
    public static string Format(Digest? digest) =>
        digest is null || (int)digest.Algorithm is < 1 or > 3
            ? "(none)"
            : DigestText.Format((Core.DigestAlgorithm)(int)digest.Algorithm, digest.Value.Span);
}
