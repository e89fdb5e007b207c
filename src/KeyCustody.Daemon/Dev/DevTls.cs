// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Daemon.Dev;

/// <summary>Paths of the development TLS material under <c>DIR/tls</c>.</summary>
/// <param name="Directory">The tls directory.</param>
public sealed record DevTlsPaths(string Directory)
{
    /// <summary>The development CA certificate (trust anchor for the server and CI client certificates).</summary>
    public string CaCertificate => Path.Combine(Directory, "ca.pem");

    /// <summary>The development CA's private key (development only; never on an appliance).</summary>
    public string CaKey => Path.Combine(Directory, "ca.key");

    /// <summary>The server certificate (CN keycustody-dev, SAN localhost, 127.0.0.1, ::1).</summary>
    public string ServerCertificate => Path.Combine(Directory, "server.pem");

    /// <summary>The server certificate's key.</summary>
    public string ServerKey => Path.Combine(Directory, "server.key");

    /// <summary>The CI client certificate the dev keys' policies allow (CN ci-dev).</summary>
    public string ClientCertificate => Path.Combine(Directory, "ci-client.pem");

    /// <summary>The CI client key.</summary>
    public string ClientKey => Path.Combine(Directory, "ci-client.key");

    /// <summary>A second client certificate from the dev CA whose identity no dev policy allows (CN ci-other).</summary>
    public string OtherClientCertificate => Path.Combine(Directory, "ci-other.pem");

    /// <summary>Its key.</summary>
    public string OtherClientKey => Path.Combine(Directory, "ci-other.key");

    /// <summary>A CA the appliance does not trust (for negative tests).</summary>
    public string UntrustedCaCertificate => Path.Combine(Directory, "untrusted-ca.pem");

    /// <summary>A client certificate named like the allowed one (CN ci-dev) but issued by the untrusted CA.</summary>
    public string UntrustedClientCertificate => Path.Combine(Directory, "untrusted-client.pem");

    /// <summary>Its key.</summary>
    public string UntrustedClientKey => Path.Combine(Directory, "untrusted-client.key");
}

/// <summary>
/// Generates the development TLS material: a CA, a server certificate, CI client certificates and a client
/// certificate from a CA the appliance does not trust. ECDSA P-256 throughout; idempotent (kept when present).
/// </summary>
public static class DevTls
{
    /// <summary>The CI identity the dev keys' policies allow: the subject CN of <see cref="DevTlsPaths.ClientCertificate"/>.</summary>
    public const string CiClientName = "ci-dev";

    /// <summary>The SAN URI of the allowed CI client certificate.</summary>
    public const string CiClientUri = "spiffe://keycustody.dev/ci/ci-dev";

    /// <summary>Creates whatever is missing under <paramref name="directory"/>.</summary>
    public static DevTlsPaths Ensure(string directory)
    {
        var paths = new DevTlsPaths(directory);
        Directory.CreateDirectory(directory);
        if (File.Exists(paths.CaCertificate) && File.Exists(paths.ServerCertificate) && File.Exists(paths.ClientCertificate)
            && File.Exists(paths.OtherClientCertificate) && File.Exists(paths.UntrustedClientCertificate))
        {
            return paths;
        }

        DateTimeOffset now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 ca = CreateCa("KeyCustody development CA", caKey, now);
        Write(paths.CaCertificate, ca.ExportCertificatePem(), secret: false);
        Write(paths.CaKey, caKey.ExportPkcs8PrivateKeyPem(), secret: true);

        var serverSan = new SubjectAlternativeNameBuilder();
        serverSan.AddDnsName("localhost");
        serverSan.AddDnsName("keycustody-dev");
        serverSan.AddIpAddress(IPAddress.Loopback);
        serverSan.AddIpAddress(IPAddress.IPv6Loopback);
        Issue(ca, caKey, "keycustody-dev", serverSan, serverAuth: true, now, paths.ServerCertificate, paths.ServerKey);

        var clientSan = new SubjectAlternativeNameBuilder();
        clientSan.AddUri(new Uri(CiClientUri));
        Issue(ca, caKey, CiClientName, clientSan, serverAuth: false, now, paths.ClientCertificate, paths.ClientKey);

        var otherSan = new SubjectAlternativeNameBuilder();
        otherSan.AddUri(new Uri("spiffe://keycustody.dev/ci/ci-other"));
        Issue(ca, caKey, "ci-other", otherSan, serverAuth: false, now, paths.OtherClientCertificate, paths.OtherClientKey);

        using ECDsa untrustedKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 untrusted = CreateCa("KeyCustody development CA", untrustedKey, now);
        Write(paths.UntrustedCaCertificate, untrusted.ExportCertificatePem(), secret: false);
        var spoofSan = new SubjectAlternativeNameBuilder();
        spoofSan.AddUri(new Uri(CiClientUri));
        Issue(untrusted, untrustedKey, CiClientName, spoofSan, serverAuth: false, now,
            paths.UntrustedClientCertificate, paths.UntrustedClientKey);
        return paths;
    }

    private static X509Certificate2 CreateCa(string name, ECDsa key, DateTimeOffset now)
    {
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=KeyCustody development"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now, now.AddYears(10));
    }

    private static void Issue(
        X509Certificate2 ca, ECDsa caKey, string commonName, SubjectAlternativeNameBuilder san, bool serverAuth,
        DateTimeOffset now, string certificatePath, string keyPath)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}, O=KeyCustody development"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            now, now.AddYears(5), serial);
        Write(certificatePath, certificate.ExportCertificatePem(), secret: false);
        Write(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
    }

    private static void Write(string path, string pem, bool secret)
    {
        File.WriteAllText(path, pem + "\n");
        if (secret)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
