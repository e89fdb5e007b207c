// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// A document (policy, roster) failed validation. Carries every error with its path; the message lists them all,
/// one per line, so the operator can fix the document in one pass. Status is always InvalidArgument.
/// </summary>
public sealed class DocumentValidationException : CustodyException
{
    /// <summary>Creates the exception for <paramref name="document"/> ("policy", "roster") with its errors.</summary>
    public DocumentValidationException(string document, IReadOnlyList<ValidationError> errors)
        : base(CustodyStatus.InvalidArgument, FormatMessage(document, errors))
    {
        Errors = errors;
    }

    /// <summary>Every error found, in document order.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    private static string FormatMessage(string document, IReadOnlyList<ValidationError> errors) =>
        $"The {document} is invalid ({errors.Count} {(errors.Count == 1 ? "error" : "errors")}):\n"
        + string.Join("\n", errors.Select(e => "  " + e));
}
