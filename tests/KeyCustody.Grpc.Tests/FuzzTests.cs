// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health;
using KeyCustody.Grpc.Internal;
using KeyCustody.Grpc.Tests.Echo;
using KeyCustody.Grpc.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Grpc.Tests;

/// <summary>
/// Ten thousand randomly malformed requests (fixed seed) against a running server: random frame headers, lengths,
/// flags, protobuf bytes, encodings, timeouts, metadata and early resets. The server must answer every call that
/// was not reset with a clean status, enforce every deadline it was given, and still be SERVING afterwards.
/// </summary>
public sealed class FuzzTests(TestGrpcServer server, ITestOutputHelper output) : IClassFixture<TestGrpcServer>
{
    private const int Seed = 0x6B63_7573; // "kcus"
    private const int Cases = 10_000;
    private static readonly TimeSpan s_boundWithServerDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_boundWithoutServerDeadline = TimeSpan.FromSeconds(5);

    private static readonly string[] s_paths =
    [
        EchoTestService.EchoMethod, EchoTestService.EchoStreamMethod, HealthService.CheckMethod,
        "/keycustody.test.v1.EchoService/Nope", "/", "/x", "/a/b/c", "/grpc.health.v1.Health/Watch2",
    ];

    private static readonly string[] s_contentTypes =
        ["application/grpc+proto", "application/grpc;charset=x", "text/plain", "application/grpc-web", "application/json", "application/grpcx"];

    private static readonly string[] s_encodings = ["gzip", "identity", "deflate", "snappy", "GZIP", "", "gzip, identity"];

    private static readonly string[] s_badTimeouts = ["", "1", "m", "-5m", "1.5S", "999999999S", "10x", "5 m", "0x10m", "+1m"];

    [Fact]
    public async Task MalformedRequests_TenThousandWithFixedSeed_ServerStaysHealthy()
    {
        // Arrange
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = 4,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var outcomes = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();

        // Act
        await Parallel.ForEachAsync(Enumerable.Range(0, Cases), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (index, _) =>
        {
            FuzzCase fuzz = FuzzCase.Create(new Random(Seed + index), server.H2cAddress);
            string outcome = await RunAsync(http, fuzz);
            outcomes.AddOrUpdate(outcome.Split(':')[0], 1, (_, n) => n + 1);
            if (outcome.StartsWith("FAIL", StringComparison.Ordinal))
            {
                failures.Enqueue($"case {index} ({fuzz}): {outcome}");
            }
        });

        // Every request the fuzzer made must end on the server too: nothing left running.
        var drained = System.Diagnostics.Stopwatch.StartNew();
        while (server.ActiveRequests > 0 && drained.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        int stillActive = server.ActiveRequests;
        using GrpcChannel channel = server.CreateChannel("h2c");
        ServingStatus health = await new HealthClient(channel).CheckAsync(string.Empty, CallOptions.WithTimeout(TimeSpan.FromSeconds(60)));
        EchoResponse echo = await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "after fuzz" }, EchoResponse.Parser,
            CallOptions.WithTimeout(TimeSpan.FromSeconds(60)));
        foreach ((string key, int count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{key}: {count}");
        }

        // Assert
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(60)));
        Assert.Equal(Cases, outcomes.Values.Sum());
        Assert.Equal(0, stillActive);
        Assert.True(outcomes.Count >= 6, "the fuzzer should reach many different outcomes: " + string.Join(", ", outcomes.Keys));
        Assert.Equal(ServingStatus.Serving, health);
        Assert.Equal("after fuzz", echo.Text);
    }

    private static async Task<string> RunAsync(HttpClient http, FuzzCase fuzz)
    {
        using var bound = new CancellationTokenSource(fuzz.HasServerDeadline ? s_boundWithServerDeadline : s_boundWithoutServerDeadline);
        using var reset = new CancellationTokenSource();
        if (fuzz.ResetAfter is { } after)
        {
            reset.CancelAfter(after);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(bound.Token, reset.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, fuzz.Uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = fuzz.StallAfter is { } stall ? new StallingContent(fuzz.Body, stall, reset.Token) : new ByteArrayContent(fuzz.Body),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", fuzz.ContentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach ((string name, string value) in fuzz.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            await response.Content.ReadAsByteArrayAsync(linked.Token);
            string? status = First(response.TrailingHeaders, "grpc-status") ?? First(response.Headers, "grpc-status");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return status is null ? $"FAIL: HTTP {(int)response.StatusCode} without grpc-status" : $"http-{(int)response.StatusCode}";
            }

            if (status is null)
            {
                return "FAIL: HTTP 200 without grpc-status";
            }

            return "grpc-" + status;
        }
        catch (OperationCanceledException) when (reset.IsCancellationRequested && !bound.IsCancellationRequested)
        {
            return "reset-by-fuzzer";
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            // Without a grpc-timeout a handler may legitimately wait for the client; with one, the server must end it.
            return fuzz.HasServerDeadline ? "FAIL: no answer although the request carried a grpc-timeout" : "bounded-by-client";
        }
        catch (HttpRequestException e) when (reset.IsCancellationRequested)
        {
            return "reset-by-fuzzer-" + e.HttpRequestError;
        }
        catch (HttpRequestException e)
        {
            return $"FAIL: transport error {e.HttpRequestError}: {e.InnerException?.Message ?? e.Message}";
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return $"FAIL: {e.GetType().Name}: {e.Message}";
        }
    }

    private static string? First(HttpHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out HeaderStringValues values) ? values.FirstOrDefault() : null;

    /// <summary>One random request. Everything about it comes from the per-case Random, so a failing case replays.</summary>
    private sealed record FuzzCase(Uri Uri, string ContentType, List<(string Name, string Value)> Headers, byte[] Body,
        bool HasServerDeadline, TimeSpan? ResetAfter, int? StallAfter, string Kind)
    {
        public override string ToString() => $"{Kind} {Uri.AbsolutePath} {ContentType} [{string.Join(' ', Headers.Select(h => h.Name + "=" + h.Value))}] {Body.Length}B reset={ResetAfter?.TotalMilliseconds} stall={StallAfter}";

        public static FuzzCase Create(Random random, string address)
        {
            string path = random.Next(10) < 8 ? s_paths[random.Next(3)] : s_paths[random.Next(s_paths.Length)];
            string contentType = random.Next(10) < 9 ? "application/grpc" : s_contentTypes[random.Next(s_contentTypes.Length)];
            var headers = new List<(string, string)>();

            bool hasServerDeadline = false;
            int timeoutRoll = random.Next(20);
            if (timeoutRoll < 16)
            {
                headers.Add(("grpc-timeout", random.Next(4) switch
                {
                    0 => random.Next(0, 1000) + "m",
                    1 => random.Next(0, 1_000_000) + "u",
                    2 => random.Next(0, 99_999_999) + "n",
                    _ => random.Next(0, 2) + "S",
                }));
                hasServerDeadline = true;
            }
            else if (timeoutRoll < 18)
            {
                headers.Add(("grpc-timeout", s_badTimeouts[random.Next(s_badTimeouts.Length)]));
            }

            string? encoding = random.Next(10) < 7 ? null : s_encodings[random.Next(s_encodings.Length)];
            if (encoding is not null)
            {
                headers.Add(("grpc-encoding", encoding));
            }

            for (int i = random.Next(4); i > 0; i--)
            {
                string key = RandomToken(random, "abcdefghijklmnopqrstuvwxyz0123456789-_.", 1, 12);
                if (random.Next(3) == 0)
                {
                    key += "-bin";
                }

                headers.Add((key, random.Next(3) == 0
                    ? Convert.ToBase64String(RandomBytes(random, 0, 30))
                    : RandomToken(random, " !#$%&'()*+,-./0123456789:;<=>?@ABCXYZabcxyz[]^_{|}~", 0, 40)));
            }

            (byte[] body, string kind) = CreateBody(random, encoding);
            TimeSpan? resetAfter = random.Next(10) == 0 ? TimeSpan.FromMilliseconds(random.Next(0, 30)) : null;
            int? stallAfter = null;
            if (random.Next(25) == 0 && body.Length > 0)
            {
                // Send part of the body, then hold the stream open until the fuzzer resets it.
                stallAfter = random.Next(body.Length);
                resetAfter = TimeSpan.FromMilliseconds(random.Next(1, 50));
            }

            return new FuzzCase(new Uri(new Uri(address), path), contentType, headers, body, hasServerDeadline, resetAfter, stallAfter, kind);
        }

        private static (byte[] Body, string Kind) CreateBody(Random random, string? encoding)
        {
            switch (random.Next(9))
            {
                case 0:
                    return (GrpcFraming.Frame(RandomBytes(random, 0, 200)), "random-protobuf");
                case 1:
                case 2:
                    return (GrpcFraming.Frame(RandomEchoRequest(random).ToByteArray()), "valid-request");
                case 3:
                {
                    byte[] header = RandomBytes(random, 5, 5);
                    if (random.Next(2) == 0)
                    {
                        header[0] = (byte)random.Next(3);
                    }

                    return ([.. header, .. RandomBytes(random, 0, 100)], "random-frame-header");
                }

                case 4:
                {
                    byte[] message = RandomEchoRequest(random).ToByteArray();
                    byte[] framed = GrpcFraming.Frame(message);
                    int lengthDelta = random.Next(-3, 4);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)Math.Max(0, message.Length + lengthDelta));
                    return (framed, "wrong-length");
                }

                case 5:
                    return ([.. GrpcFraming.Frame(RandomEchoRequest(random).ToByteArray()), .. GrpcFraming.Frame(RandomBytes(random, 0, 20))], "two-messages");
                case 6:
                    return (RandomBytes(random, 0, 64), "random-bytes");
                case 7:
                {
                    byte[] message = RandomEchoRequest(random).ToByteArray();
                    bool validGzip = random.Next(2) == 0;
                    byte[] payload = validGzip ? GrpcFraming.Compress(message) : RandomBytes(random, 0, 60);
                    return (GrpcFraming.Frame(payload, compressed: random.Next(5) != 0), validGzip ? "gzip" + (encoding is null ? "-unannounced" : string.Empty) : "bad-gzip");
                }

                default:
                    return ([], "empty");
            }
        }

        private static EchoRequest RandomEchoRequest(Random random)
        {
            var request = new EchoRequest
            {
                Text = RandomUnicode(random),
                Count = random.Next(0, 6),
                FailCode = random.Next(4) == 0 ? random.Next(0, 20) : 0,
                FailMessage = RandomUnicode(random),
                ResponsePadding = random.Next(10) == 0 ? random.Next(0, TestGrpcServer.MaxMessageSize * 2) : random.Next(0, 100),
                Payload = ByteString.CopyFrom(RandomBytes(random, 0, 100)),
                ThrowUnhandled = random.Next(30) == 0,
            };
            if (random.Next(2) == 0)
            {
                request.TrailerValue = RandomToken(random, "abcdefghijklmnopqrstuvwxyz0123456789 -", 0, 20);
            }

            // Waiting handlers only where the request carries a deadline is decided by the caller's timeout roll,
            // so keep them rare: a wait without grpc-timeout runs into the client's bound.
            request.WaitForCancellation = random.Next(40) == 0;
            return request;
        }

        private static byte[] RandomBytes(Random random, int min, int max)
        {
            byte[] bytes = new byte[random.Next(min, max + 1)];
            random.NextBytes(bytes);
            return bytes;
        }

        private static string RandomToken(Random random, string alphabet, int min, int max)
        {
            var builder = new StringBuilder();
            for (int i = random.Next(min, max + 1); i > 0; i--)
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }

            return builder.ToString();
        }

        private static string RandomUnicode(Random random)
        {
            var builder = new StringBuilder();
            for (int i = random.Next(0, 20); i > 0; i--)
            {
                int codePoint = random.Next(4) switch
                {
                    0 => random.Next(0x00, 0x80),
                    1 => random.Next(0xA0, 0x800),
                    2 => random.Next(0x3000, 0x9FFF),
                    _ => random.Next(0x1F300, 0x1F6FF),
                };
                builder.Append(char.ConvertFromUtf32(codePoint));
            }

            return builder.ToString();
        }
    }

    /// <summary>Request content that sends a prefix of the body, then keeps the stream open until the request is cancelled.</summary>
    private sealed class StallingContent(byte[] body, int sendBytes, CancellationToken reset) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(body.AsMemory(0, sendBytes), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (!reset.IsCancellationRequested)
            {
                // HttpClient stops the upload because the server already answered: nothing left to do.
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
