// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;

namespace KeyCustody.Cli.Parsing;

/// <summary>Hashes an artifact locally, streaming, so only its digest ever leaves the machine.</summary>
public static class FileDigester
{
    // Large enough that hashing a multi-gigabyte artifact is bound by the hash, not by read calls.
    private const int BufferSize = 1 << 20;

    /// <summary>Hashes <paramref name="path"/> with <paramref name="algorithm"/>, reporting bytes read so far.</summary>
    /// <exception cref="CustodyException">InvalidArgument when the file does not exist or cannot be read.</exception>
    public static async Task<DigestText> HashFileAsync(
        string path, DigestAlgorithm algorithm, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                BufferSize = 0,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"cannot read '{path}': {e.Message}", e);
        }

        await using (stream)
        {
            using var hash = IncrementalHash.CreateHash(ToHashAlgorithmName(algorithm));
            byte[] buffer = new byte[BufferSize];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
                progress?.Report(total);
            }

            return new DigestText(algorithm, hash.GetHashAndReset());
        }
    }

    /// <summary>The .NET hash name for <paramref name="algorithm"/>.</summary>
    public static HashAlgorithmName ToHashAlgorithmName(DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        DigestAlgorithm.Sha384 => HashAlgorithmName.SHA384,
        DigestAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
