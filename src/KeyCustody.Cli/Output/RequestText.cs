// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Cli.Parsing;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Output;

/// <summary>How officers read requests: the <c>pending</c> table and the <c>show</c> listing.</summary>
public static class RequestText
{
    /// <summary>The <c>keycustody pending</c> table, plus a line naming the request the next press confirms.</summary>
    public static string PendingTable(IReadOnlyList<PendingRequest> pending)
    {
        if (pending.Count == 0)
        {
            return "no pending requests\n";
        }

        var table = new TextTable("ID", "KEY", "REQUESTER", "ARTIFACT", "DIGEST", "POLICY", "APPROVALS", "BUTTON");
        PendingRequest? owner = null;
        foreach (PendingRequest item in pending)
        {
            SigningRequest r = item.Request ?? new SigningRequest();
            if (item.OwnsButton)
            {
                owner = item;
            }

            table.AddRow(
                r.RequestId,
                r.Key,
                Requester(r.Requester, brief: true),
                Artifact(r.Metadata),
                ShortDigest(r.Digest),
                "v" + r.PolicyVersion,
                $"{r.ApprovalsReceived}/{r.ApprovalsRequired}",
                Button(item));
        }

        var text = new StringBuilder(table.ToString());
        if (owner?.Request is { } active)
        {
            text.Append('\n').Append($"the next short press confirms {active.RequestId} (code {Code(active)}); a long press denies it\n");
        }

        return text.ToString();
    }

    /// <summary>The full <c>keycustody show</c> listing of one request.</summary>
    public static string Details(SigningRequest r, bool ownsButton)
    {
        var rows = new List<(string, string)>
        {
            ("request", r.RequestId),
            ("key", $"{r.Key} (policy v{r.PolicyVersion})"),
            ("state", SchemeText.Name(r.State) + (r.StateReason.Length > 0 ? ": " + r.StateReason : string.Empty)),
            ("requester", Requester(r.Requester, brief: false)),
            ("digest", SchemeText.Format(r.Digest)),
            ("scheme", SchemeText.Name(r.Scheme)),
        };
        ArtifactMetadata m = r.Metadata ?? new ArtifactMetadata();
        AddIf(rows, "artifact", m.Name);
        AddIf(rows, "version", m.Version);
        AddIf(rows, "repository", m.Repository);
        AddIf(rows, "commit", m.Commit);
        AddIf(rows, "pipeline run", m.PipelineRun);
        AddIf(rows, "labels", string.Join(", ", m.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        if (r.Provenance is { } provenance && !provenance.Content.IsEmpty)
        {
            rows.Add(("provenance", $"{provenance.MediaType}, {provenance.Content.Length} bytes"));
        }

        rows.Add(("approvals", $"{r.ApprovalsReceived}/{r.ApprovalsRequired}"
            + (r.ApproverGroup.Length > 0 ? $" from group {r.ApproverGroup}" : string.Empty)
            + (r.PresenceRequired ? "; then a button press" : string.Empty)));
        foreach (ApprovalRecord a in r.Approvals)
        {
            rows.Add((string.Empty, $"{(a.Approve ? "approved" : "denied")} by {a.Officer} ({a.SshKeyFingerprint})"
                + (a.At is { } at ? $" at {at.ToDateTimeOffset():u}" : string.Empty)
                + (a.Comment.Length > 0 ? $": {a.Comment}" : string.Empty)));
        }

        if (ownsButton || r.State == SigningRequestState.PresenceActive)
        {
            rows.Add(("button", $"owns the button now, code {Code(r)}: a short press confirms, a long press denies"));
        }
        else if (r.State == SigningRequestState.AwaitingPresence)
        {
            rows.Add(("button", "queued for the button"));
        }

        if (r.CreatedAt is { } created)
        {
            rows.Add(("created", created.ToDateTimeOffset().ToString("u")));
        }

        if (r.ExpiresAt is { } expires)
        {
            rows.Add(("expires", expires.ToDateTimeOffset().ToString("u")));
        }

        AddIf(rows, "nonce", r.Nonce);
        if (r.BreakGlass)
        {
            rows.Add(("break-glass", "yes: signed under a break-glass grant"));
        }

        int width = rows.Max(row => row.Item1.Length) + 2;
        var text = new StringBuilder();
        foreach ((string label, string value) in rows)
        {
            text.Append(label.PadRight(width)).Append(Clean(value)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>An approval statement shown before or after signing it, each line indented.</summary>
    public static string Statement(ApprovalStatement statement, string title)
    {
        var text = new StringBuilder();
        text.Append(title).Append($" (namespace {statement.Namespace}");
        if (statement.ExpiresAt is { } expires)
        {
            text.Append($", expires {expires.ToDateTimeOffset():u}");
        }

        text.Append("):\n");
        foreach (string line in statement.Statement.ToStringUtf8().TrimEnd('\n').Split('\n'))
        {
            text.Append("    ").Append(Clean(line)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Requester identity: subject, and in the long form SANs and certificate fingerprint.</summary>
    public static string Requester(Identity? identity, bool brief)
    {
        if (identity is null || identity.Subject.Length == 0)
        {
            return "(unknown)";
        }

        if (brief)
        {
            return identity.Subject;
        }

        var parts = new List<string> { identity.Subject };
        if (identity.San.Count > 0)
        {
            parts.Add("SAN " + string.Join(", ", identity.San));
        }

        if (identity.CertificateSha256.Length > 0)
        {
            parts.Add("cert sha256 " + identity.CertificateSha256);
        }

        return string.Join("; ", parts);
    }

    /// <summary>"name version" of the artifact, or "-".</summary>
    public static string Artifact(ArtifactMetadata? metadata) =>
        metadata is null || metadata.Name.Length == 0 ? "-" : (metadata.Name + " " + metadata.Version).Trim();

    /// <summary>A digest shortened for the table: algorithm, first and last 8 hex digits.</summary>
    public static string ShortDigest(Digest? digest)
    {
        string full = SchemeText.Format(digest);
        int colon = full.IndexOf(':');
        return colon < 0 || full.Length - colon - 1 <= 20 ? full : full[..(colon + 9)] + "…" + full[^8..];
    }

    private static string Button(PendingRequest item) => item.OwnsButton
        ? "NOW code " + Code(item.Request!)
        : item.Request?.State == SigningRequestState.AwaitingPresence ? "queued" : "-";

    private static string Code(SigningRequest r) => r.PresenceCode.Length > 0 ? r.PresenceCode : "?";

    private static void AddIf(List<(string, string)> rows, string label, string value)
    {
        if (value.Length > 0)
        {
            rows.Add((label, value));
        }
    }

    // Statements and metadata come from the appliance and CI: print them, never let them drive the terminal.
    private static string Clean(string text) => string.Concat(text.Select(c => char.IsControl(c) && c != '\t' ? '?' : c));
}
