// SPDX-License-Identifier: Apache-2.0
using System.Net.Http.Headers;

namespace KeyCustody.Grpc.Internal;

/// <summary>Turns received HTTP header fields into custom <see cref="Metadata"/>: protocol fields are dropped, -bin values base64-decoded.</summary>
internal static class MetadataCodec
{
    /// <summary>Adds one received field to <paramref name="metadata"/> if it is custom metadata; malformed values are dropped.</summary>
    public static void AddReceived(Metadata metadata, string name, string value)
    {
        string key = name.ToLowerInvariant();
        if (Metadata.IsReservedKey(key) || !Metadata.IsValidKey(key))
        {
            return;
        }

        if (key.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal))
        {
            // Several binary values may arrive joined by commas in one field.
            foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryDecodeBase64(part, out byte[] bytes))
                {
                    metadata.Add(key, bytes);
                }
            }
        }
        else if (value.All(c => c is >= ' ' and <= '~'))
        {
            metadata.Add(key, value);
        }
    }

    /// <summary>Custom metadata from HttpClient response headers or trailers.</summary>
    public static Metadata FromHttpHeaders(params HttpHeaders?[] headerSets)
    {
        var metadata = new Metadata();
        foreach (HttpHeaders? headers in headerSets)
        {
            if (headers is null)
            {
                continue;
            }

            foreach (KeyValuePair<string, HeaderStringValues> header in headers.NonValidated)
            {
                foreach (string value in header.Value)
                {
                    AddReceived(metadata, header.Key, value);
                }
            }
        }

        return metadata;
    }

    /// <summary>Binary metadata is base64; senders may omit padding, so accept both forms.</summary>
    public static bool TryDecodeBase64(string value, out byte[] bytes)
    {
        string padded = value.Trim();
        int remainder = padded.Length % 4;
        if (remainder == 1)
        {
            bytes = [];
            return false;
        }

        if (remainder != 0)
        {
            padded += new string('=', 4 - remainder);
        }

        bytes = new byte[padded.Length / 4 * 3];
        if (Convert.TryFromBase64String(padded, bytes, out int written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
