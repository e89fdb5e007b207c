// SPDX-License-Identifier: Apache-2.0
using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Grpc;

/// <summary>
/// The caller as proven by its TLS client certificate (already validated against the endpoint's trusted CAs).
/// The transport reports who the caller is; deciding what the caller may do is the service's job.
/// </summary>
public sealed class CallerIdentity
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>Reads subject, SANs and fingerprint from <paramref name="certificate"/>.</summary>
    public CallerIdentity(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Certificate = certificate;
        Subject = certificate.Subject;
        Sha256Fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
        var dns = new List<string>();
        var uris = new List<string>();
        var emails = new List<string>();
        var ips = new List<IPAddress>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAltNameOid)
            {
                ReadGeneralNames(extension.RawData, dns, uris, emails, ips);
            }
        }

        DnsNames = dns;
        UriNames = uris;
        EmailAddresses = emails;
        IPAddresses = ips;
    }

    /// <summary>The client certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The subject distinguished name, e.g. "CN=ci-runner, O=Example".</summary>
    public string Subject { get; }

    /// <summary>Lower-case hex SHA-256 of the DER certificate.</summary>
    public string Sha256Fingerprint { get; }

    /// <summary>dNSName subject alternative names.</summary>
    public IReadOnlyList<string> DnsNames { get; }

    /// <summary>uniformResourceIdentifier subject alternative names (e.g. SPIFFE IDs).</summary>
    public IReadOnlyList<string> UriNames { get; }

    /// <summary>rfc822Name subject alternative names.</summary>
    public IReadOnlyList<string> EmailAddresses { get; }

    /// <summary>iPAddress subject alternative names.</summary>
    public IReadOnlyList<IPAddress> IPAddresses { get; }

    /// <summary>Every SAN rendered as "DNS:…", "URI:…", "email:…", "IP:…" (OpenSSL's spelling).</summary>
    public IReadOnlyList<string> SubjectAlternativeNames =>
        [.. DnsNames.Select(n => "DNS:" + n), .. UriNames.Select(n => "URI:" + n),
         .. EmailAddresses.Select(n => "email:" + n), .. IPAddresses.Select(a => "IP:" + a)];

    /// <inheritdoc />
    public override string ToString() => $"{Subject} (sha256:{Sha256Fingerprint})";

    // GeneralNames ::= SEQUENCE OF GeneralName (RFC 5280 section 4.2.1.6); other name forms are ignored.
    private static void ReadGeneralNames(byte[] der, List<string> dns, List<string> uris, List<string> emails, List<IPAddress> ips)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            AsnReader names = reader.ReadSequence();
            while (names.HasData)
            {
                Asn1Tag tag = names.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    names.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 1:
                        emails.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 2:
                        dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 6:
                        uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 7:
                        byte[] address = names.ReadOctetString(tag);
                        if (address.Length is 4 or 16)
                        {
                            ips.Add(new IPAddress(address));
                        }

                        break;
                    default:
                        names.ReadEncodedValue();
                        break;
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed SAN extension yields no names rather than failing the call; the chain was validated.
        }
    }
}
