// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Google.Protobuf;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// The reference gRPC implementation as the CI peer (Debian's python3-grpcio): mTLS to the appliance, a Sign call
/// with bytes our protobuf classes made, and the status and trailers of a refused call.
/// </summary>
public sealed class PythonPeerTests(DevApplianceFixture appliance) : IClassFixture<DevApplianceFixture>
{
    // Calls METHOD with the request bytes from argv (hex) and prints {"code", "details", "trailers", "response"}.
    private const string Script = """
        import grpc, json, sys
        address, ca, cert, key, method, request = sys.argv[1:7]
        read = lambda p: open(p, "rb").read()
        credentials = grpc.ssl_channel_credentials(read(ca), read(key) if key else None, read(cert) if cert else None)
        with grpc.secure_channel(address, credentials) as channel:
            call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
            try:
                response, info = call.with_call(bytes.fromhex(request), timeout=60)
                print(json.dumps({"code": "OK", "response": response.hex(), "trailers": dict(info.trailing_metadata())}))
            except grpc.RpcError as e:
                print(json.dumps({"code": e.code().name, "details": e.details(), "trailers": dict(e.trailing_metadata() or [])}))
        """;

    private async Task<JsonElement> CallAsync(string method, IMessage request, bool withCertificate)
    {
        using var dir = new TempDirectory("kc-python");
        await File.WriteAllTextAsync(dir.File("peer.py"), Script);
        ProcessResult result = await ProcessRunner.RunAsync("/usr/bin/python3",
        [
            dir.File("peer.py"), appliance.Address["https://".Length..], appliance.PathOf("tls", "ca.pem"),
            withCertificate ? appliance.PathOf("tls", "ci-client.pem") : "", withCertificate ? appliance.PathOf("tls", "ci-client.key") : "",
            method, Convert.ToHexStringLower(request.ToByteArray()),
        ]);
        result.EnsureSuccess("python3 gRPC peer");
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    [Fact]
    public async Task Sign_FromPythonGrpcio_SignatureVerifiesWithOpenssl()
    {
        // Arrange
        (byte[] artifact, Pb.Digest digest) = Peers.Artifact("signed for a python client");
        using ApplianceClient ours = appliance.Client();
        Pb.Key key = await ours.KeyAsync("dev-low");

        // Act
        JsonElement reply = await CallAsync("/keycustody.v1.SigningService/Sign", new Pb.SignRequest { Key = "dev-low", Digest = digest }, withCertificate: true);

        // Assert
        Assert.Equal("OK", reply.GetProperty("code").GetString());
        Pb.SignResponse response = Pb.SignResponse.Parser.ParseFrom(Convert.FromHexString(reply.GetProperty("response").GetString()!));
        ProcessResult openssl = await Peers.OpensslVerifyAsync(key.PublicKeyPem, artifact, response.Signature.ToByteArray());
        Assert.True(openssl.ExitCode == 0, openssl.StandardError);
        Assert.Contains(response.RequestId, Peers.VerifyReceipt(await ours.AuditKeyAsync(), response.Receipt));
    }

    [Fact]
    public async Task Sign_FromPythonWithoutCertificate_UnauthenticatedWithStatusTrailer()
    {
        // Arrange
        var request = new Pb.SignRequest { Key = "dev-low", Digest = Peers.Artifact("no certificate").Digest };

        // Act
        JsonElement reply = await CallAsync("/keycustody.v1.SigningService/Sign", request, withCertificate: false);

        // Assert
        Assert.Equal("UNAUTHENTICATED", reply.GetProperty("code").GetString());
        Assert.Contains("client certificate", reply.GetProperty("details").GetString());
        Assert.Equal("Unauthenticated", reply.GetProperty("trailers").GetProperty("keycustody-status").GetString());
    }
}
