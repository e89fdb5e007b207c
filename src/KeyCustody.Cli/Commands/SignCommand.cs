// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Parsing;
using KeyCustody.Core;
using SignatureScheme = KeyCustody.Protocol.V1.SignatureScheme;
using DigestAlgorithm = KeyCustody.Core.DigestAlgorithm;
using KeyCustody.Grpc;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Commands;

/// <summary>
/// <c>keycustody sign</c>: hashes the artifact locally, asks the appliance for a signature, waits (with
/// <c>--wait</c>) for officer approvals and the button, and writes the signature and its audit receipt.
/// </summary>
internal static class SignCommand
{
    private const long LargeArtifact = 64L << 20;

    private static readonly Option<string> s_key = new("--key") { Description = "Name of the signing key.", HelpName = "KEY", Required = true };
    private static readonly Option<FileInfo?> s_file = new("--file") { Description = "Artifact to sign; hashed here, streaming. Only the digest is sent.", HelpName = "FILE" };
    private static readonly Option<string?> s_digest = new("--digest") { Description = "Sign this digest instead of a file: ALGORITHM:HEX, e.g. sha256:9f86d0….", HelpName = "ALG:HEX" };
    private static readonly Option<string> s_hash = CreateHashOption();
    private static readonly Option<bool> s_wait = new("--wait") { Description = "For keys that need approvals or the button: wait until the request is signed, denied or expired." };
    private static readonly Option<int> s_waitTimeout = new("--wait-timeout") { Description = "Give up waiting after this many seconds (0 = until the request ends).", HelpName = "SECONDS" };
    private static readonly Option<FileInfo?> s_out = new("--out") { Description = "Write the signature (raw bytes) here. Default: FILE.sig with --file; printed in base64 otherwise.", HelpName = "SIG" };
    private static readonly Option<FileInfo?> s_receipt = new("--receipt") { Description = "Write the audit receipt (JSON) here. Default: SIG.receipt.json next to the signature.", HelpName = "FILE" };
    private static readonly Option<string> s_scheme = CreateSchemeOption();
    private static readonly Option<string[]> s_meta = new("--meta") { Description = "Artifact metadata KEY=VALUE, repeatable: name, version, repository, commit, pipeline-run fill named fields; other keys become labels.", HelpName = "KEY=VALUE" };
    private static readonly Option<string?> s_clientToken = new("--client-token") { Description = "Idempotency token: a retry with the same token returns the same request.", HelpName = "TOKEN" };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliApplication app)
    {
        var command = new Command("sign", "Sign an artifact or a digest with a key held by the appliance (CI).");
        foreach (Option option in (Option[])[s_key, s_file, s_digest, s_hash, s_wait, s_waitTimeout, s_out, s_receipt, s_scheme, s_meta, s_clientToken])
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            bool hasFile = result.GetResult(s_file) is not null;
            bool hasDigest = result.GetResult(s_digest) is not null;
            if (hasFile == hasDigest)
            {
                result.AddError("give exactly one of --file FILE or --digest ALG:HEX");
            }

            if (hasDigest && result.GetResult(s_hash) is { Implicit: false })
            {
                result.AddError("--hash applies to --file only; a --digest names its own algorithm");
            }

            if (result.GetValue(s_key) is { } key && !KeyName.TryParse(key, out _))
            {
                result.AddError($"'{key}' is not a valid key name (1-64 characters a-z, 0-9, '-', '_', '.')");
            }

            if (hasDigest && !DigestText.TryParse(result.GetValue(s_digest), out _, out string? digestError))
            {
                result.AddError("--digest: " + digestError);
            }

            if (!MetadataText.TryParse(result.GetValue(s_meta) ?? [], out _, out string? metaError))
            {
                result.AddError(metaError);
            }

            if (result.GetValue(s_waitTimeout) < 0)
            {
                result.AddError("--wait-timeout must not be negative");
            }
        });
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, RunAsync));
        return command;
    }

    private static Option<string> CreateHashOption()
    {
        var option = new Option<string>("--hash") { Description = "Digest algorithm for --file.", DefaultValueFactory = _ => "sha256", HelpName = "ALG" };
        option.AcceptOnlyFromAmong("sha256", "sha384", "sha512");
        return option;
    }

    private static Option<string> CreateSchemeOption()
    {
        var option = new Option<string>("--scheme") { Description = "Signature scheme/encoding; default is the key's own (ECDSA DER, Ed25519, RSA PKCS#1 v1.5).", DefaultValueFactory = _ => "default", HelpName = "SCHEME" };
        option.AcceptOnlyFromAmong([.. SchemeText.Names]);
        return option;
    }

    private static async Task<ExitCode> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ParseResult parse = context.ParseResult;
        string key = parse.GetRequiredValue(s_key);
        FileInfo? file = parse.GetValue(s_file);
        SchemeText.TryParse(parse.GetValue(s_scheme), out SignatureScheme scheme);
        MetadataText.TryParse(parse.GetValue(s_meta) ?? [], out ArtifactMetadata? metadata, out _);
        FileInfo? outFile = parse.GetValue(s_out) ?? (file is null ? null : new FileInfo(file.FullName + ".sig"));
        FileInfo? receiptFile = parse.GetValue(s_receipt) ?? (outFile is null ? null : new FileInfo(outFile.FullName + ".receipt.json"));

        DigestText digest;
        if (file is not null)
        {
            Algorithms.TryParseDigest(parse.GetValue(s_hash), out DigestAlgorithm algorithm);
            if (file.Exists && file.Length >= LargeArtifact)
            {
                // Only worth a line when hashing takes a noticeable while; otherwise stderr stays for the outcome.
                context.Progress($"hashing {file.Name} ({file.Length / (1 << 20)} MiB, {Algorithms.Name(algorithm)})");
            }

            digest = await FileDigester.HashFileAsync(file.FullName, algorithm, cancellationToken: cancellationToken);
            if (metadata!.Name.Length == 0)
            {
                metadata.Name = file.Name;
            }
        }
        else
        {
            DigestText.TryParse(parse.GetValue(s_digest), out DigestText? parsed, out _);
            digest = parsed!;
        }

        var protoDigest = new Digest { Algorithm = SchemeText.ToProto(digest.Algorithm), Value = ByteString.CopyFrom(digest.Value) };
        await using IApplianceClient client = context.Connect();

        SigningRoute route = await ChooseRouteAsync(client, key, cancellationToken);
        if (route == SigningRoute.OneShot)
        {
            try
            {
                SignResponse response = await client.SignAsync(
                    new SignRequest { Key = key, Digest = protoDigest, Scheme = scheme, Metadata = metadata }, cancellationToken);
                return await WriteResultAsync(context, key, digest, response.RequestId, response.Signature, response.Scheme, response.Receipt,
                    outFile, receiptFile, cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && NeedsGovernance(e))
            {
                // The key's policy wants approvals or presence after all: take the governed path.
                context.Progress($"key {key} needs approvals or presence; submitting a signing request");
            }
        }

        var submit = new SubmitSigningRequestRequest
        {
            Key = key,
            Digest = protoDigest,
            Scheme = scheme,
            Metadata = metadata,
            ClientToken = parse.GetValue(s_clientToken) ?? string.Empty,
        };
        SigningRequest request = (await client.SubmitSigningRequestAsync(submit, cancellationToken)).Request;
        if (request.State != SigningRequestState.Signed && !parse.GetValue(s_wait))
        {
            return Submitted(context, request);
        }

        SigningRequest final = await WaitAsync(context.Progress, client, request, TimeSpan.FromSeconds(parse.GetValue(s_waitTimeout)), cancellationToken);
        if (final.State != SigningRequestState.Signed)
        {
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["requestId"] = final.RequestId,
                    ["key"] = key,
                    ["state"] = JsonOutput.EnumName(final.State),
                    ["reason"] = final.StateReason,
                    ["request"] = JsonOutput.Message(final),
                });
            }

            ExitCode code = ExitCodes.ForState(final.State);
            await context.Error.WriteLineAsync($"error: request {final.RequestId} {SchemeText.Name(final.State)}"
                + (final.StateReason.Length > 0 ? ": " + final.StateReason : string.Empty));
            return code;
        }

        Receipt? receipt = final.Receipt;
        if (receipt is null || receipt.Json.Length == 0 && receipt.Entry.IsEmpty)
        {
            receipt = await client.GetReceiptAsync(final.RequestId, cancellationToken);
        }

        return await WriteResultAsync(context, key, digest, final.RequestId, final.Signature, final.Scheme, receipt, outFile, receiptFile, cancellationToken);
    }

    /// <summary>How a signature is obtained for a key.</summary>
    internal enum SigningRoute
    {
        /// <summary>One <c>Sign</c> call (no quorum, no presence).</summary>
        OneShot,
        /// <summary><c>SubmitSigningRequest</c>, then approvals and the button.</summary>
        Governed,
    }

    private static async Task<SigningRoute> ChooseRouteAsync(IApplianceClient client, string key, CancellationToken cancellationToken)
    {
        try
        {
            Key info = await client.GetKeyAsync(key, cancellationToken);
            return KeyPolicyHints.NeedsGovernance(info) == false ? SigningRoute.OneShot : SigningRoute.Governed;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.Unimplemented)
        {
            // A CI identity may not be allowed to read the inventory: try the one-shot call, which falls back.
            return SigningRoute.OneShot;
        }
    }

    private static bool NeedsGovernance(RpcException e) =>
        !ExitCodes.TryParseCustodyStatus(e.Trailers.GetValue(TransportErrors.StatusTrailer), out CustodyStatus status)
        || status is CustodyStatus.ApprovalsMissing or CustodyStatus.PresenceMissing;

    private static ExitCode Submitted(CliContext context, SigningRequest request)
    {
        if (context.Json)
        {
            context.WriteJson(new JsonObject
            {
                ["requestId"] = request.RequestId,
                ["key"] = request.Key,
                ["state"] = JsonOutput.EnumName(request.State),
                ["request"] = JsonOutput.Message(request),
            });
        }
        else
        {
            context.Out.WriteLine($"submitted request {request.RequestId}: {SchemeText.Name(request.State)}, approvals {request.ApprovalsReceived}/{request.ApprovalsRequired}"
                + (request.PresenceRequired ? ", then a button press" : string.Empty));
            context.Out.WriteLine("run again with --wait to wait for the signature (officers: keycustody pending)");
        }

        return ExitCode.Submitted;
    }

    /// <summary>Follows the request until it is terminal, printing progress; resumes the watch if the stream ends early.</summary>
    internal static async Task<SigningRequest> WaitAsync(
        Action<string> progress, IApplianceClient client, SigningRequest request, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (limit > TimeSpan.Zero)
        {
            timeout.CancelAfter(limit);
        }

        SigningRequest? previous = null;
        SigningRequest current = request;
        void Show(SigningRequest next)
        {
            foreach (string line in SignProgress.Describe(previous, next))
            {
                progress(line);
            }

            previous = next;
            current = next;
        }

        Show(request);
        int transientFailures = 0;
        try
        {
            while (!SchemeText.IsTerminal(current.State))
            {
                try
                {
                    await foreach (SigningRequest update in client.WatchSigningRequestAsync(current.RequestId, timeout.Token))
                    {
                        Show(update);
                        transientFailures = 0;
                    }

                    if (!SchemeText.IsTerminal(current.State))
                    {
                        // The stream ended without an outcome (the daemon restarted, a proxy cut it): re-read and watch again.
                        Show(await client.GetSigningRequestAsync(current.RequestId, timeout.Token));
                    }
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && ++transientFailures <= 30)
                {
                    progress($"connection lost ({e.Detail}); reconnecting");
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, transientFailures)), timeout.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new CustodyException(CustodyStatus.Expired,
                $"gave up waiting after {limit.TotalSeconds:0} s; request {current.RequestId} is still {SchemeText.Name(current.State)}");
        }

        return current;
    }

    private static async Task<ExitCode> WriteResultAsync(
        CliContext context, string key, DigestText digest, string requestId, ByteString signature, SignatureScheme scheme, Receipt? receipt,
        FileInfo? outFile, FileInfo? receiptFile, CancellationToken cancellationToken)
    {
        if (signature.IsEmpty)
        {
            throw new CustodyException(CustodyStatus.Internal, $"the appliance reported request {requestId} signed but sent no signature");
        }

        if (outFile is not null)
        {
            await File.WriteAllBytesAsync(outFile.FullName, signature.ToByteArray(), cancellationToken);
        }

        string? receiptJson = receipt is null ? null : receipt.Json.Length > 0 ? receipt.Json : JsonOutput.Render(JsonOutput.Message(receipt));
        if (receiptFile is not null && receiptJson is not null)
        {
            await File.WriteAllTextAsync(receiptFile.FullName, receiptJson, cancellationToken);
        }

        if (context.Json)
        {
            context.WriteJson(new JsonObject
            {
                ["requestId"] = requestId,
                ["key"] = key,
                ["state"] = JsonOutput.EnumName(SigningRequestState.Signed),
                ["digest"] = digest.ToString(),
                ["scheme"] = JsonOutput.EnumName(scheme),
                ["signature"] = signature.ToBase64(),
                ["signatureFile"] = outFile?.FullName,
                ["receiptFile"] = receiptJson is null ? null : receiptFile?.FullName,
                ["leafIndex"] = receipt?.LeafIndex,
                ["receipt"] = JsonOutput.Embedded(receiptJson),
            });
            return ExitCode.Success;
        }

        context.Out.WriteLine($"signed {digest} with {key} (request {requestId}{(receipt is null ? string.Empty : $", audit leaf {receipt.LeafIndex}")})");
        if (outFile is not null)
        {
            context.Out.WriteLine($"signature: {outFile.FullName}");
        }
        else
        {
            context.Out.WriteLine($"signature (base64): {signature.ToBase64()}");
        }

        if (receiptFile is not null && receiptJson is not null)
        {
            context.Out.WriteLine($"receipt:   {receiptFile.FullName}");
        }

        return ExitCode.Success;
    }
}
