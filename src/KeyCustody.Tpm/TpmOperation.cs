// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Tpm;

/// <summary>Runs blocking FAPI work off the caller's thread and turns tpm2-tss failures into <see cref="CustodyException"/>.</summary>
internal static class TpmOperation
{
    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool. Cancellation is honoured before the work starts; a FAPI
    /// call in flight cannot be interrupted (tpm2-tss has no cancel for synchronous calls), so it completes.
    /// </summary>
    public static async ValueTask<T> RunAsync<T>(string operation, Func<T> work, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            throw new CustodyException(CustodyStatus.Cancelled, $"{operation} was cancelled.");
        }

        try
        {
            return await Task.Run(work, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Tss2Exception e)
        {
            throw Tss2StatusMapper.ToCustodyException(e, operation);
        }
    }

    /// <inheritdoc cref="RunAsync{T}(string, Func{T}, CancellationToken)"/>
    public static async ValueTask RunAsync(string operation, Action work, CancellationToken cancellationToken) =>
        await RunAsync(operation, () =>
        {
            work();
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Validates an object name used inside FAPI paths: 1–48 characters a-z, 0-9, '-' or '_', starting with a letter or digit.</summary>
    public static string ValidateName(string name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 48 || !char.IsAsciiLetterOrDigit(name[0])
            || name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"'{name}' is not a valid {what} name: use 1-48 characters a-z, 0-9, '-' or '_', starting with a letter or digit.");
        }

        return name;
    }
}
