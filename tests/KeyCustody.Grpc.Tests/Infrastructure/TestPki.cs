// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Testing;

namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>
/// A throwaway PKI made with .NET's CertificateRequest: a CA, a server certificate for 127.0.0.1/localhost, a
/// client certificate the CA issued, and a client certificate from an unrelated CA. PEM copies are written for
/// the Python and Node peers.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string ClientSubject = "CN=ci-runner, O=KeyCustody Test";
    public const string ClientUri = "spiffe://keycustody.test/ci-runner";

    private readonly TempDirectory _dir = new("keycustody-grpc-pki");

    public TestPki()
    {
        (Ca, _) = CreateCa("CN=KeyCustody Test CA");
        (OtherCa, _) = CreateCa("CN=Unrelated CA");
        Server = Issue(Ca, "CN=localhost", serverAuth: true, san =>
        {
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
        });
        Client = Issue(Ca, ClientSubject, serverAuth: false, san => san.AddUri(new Uri(ClientUri)));
        UntrustedClient = Issue(OtherCa, "CN=intruder", serverAuth: false, san => san.AddUri(new Uri("spiffe://elsewhere/intruder")));

        CaPem = Write("ca.pem", Ca.ExportCertificatePem());
        ServerCertPem = Write("server.pem", Server.ExportCertificatePem());
        ServerKeyPem = Write("server.key", Server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        ClientCertPem = Write("client.pem", Client.ExportCertificatePem());
        ClientKeyPem = Write("client.key", Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        UntrustedClientCertPem = Write("intruder.pem", UntrustedClient.ExportCertificatePem());
        UntrustedClientKeyPem = Write("intruder.key", UntrustedClient.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 OtherCa { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public X509Certificate2 UntrustedClient { get; }

    public string CaPem { get; }

    public string ServerCertPem { get; }

    public string ServerKeyPem { get; }

    public string ClientCertPem { get; }

    public string ClientKeyPem { get; }

    public string UntrustedClientCertPem { get; }

    public string UntrustedClientKeyPem { get; }

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string pem)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, pem + "\n");
        return path;
    }

    private static (X509Certificate2 Certificate, ECDsa Key) CreateCa(string subject)
    {
        ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (certificate, key);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool serverAuth, Action<SubjectAlternativeNameBuilder> names)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        X509Certificate2 withKey = issued.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so the key is a persisted-style handle SslStream accepts on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }
}
