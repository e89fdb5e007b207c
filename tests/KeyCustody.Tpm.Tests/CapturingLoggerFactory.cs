// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Tpm.Tests;

/// <summary>One captured log line: category, level, formatted message and the exception text, if any.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, string? Exception)
{
    /// <summary>Everything a leak check must search.</summary>
    public string FullText => $"{Category} {Level} {EventId} {Message} {Exception}";
}

/// <summary>An <see cref="ILoggerFactory"/> that keeps every line at every level, for assertions.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly List<CapturedLog> _lines = [];

    /// <summary>A snapshot of what was logged so far.</summary>
    public IReadOnlyList<CapturedLog> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Add(CapturedLog line)
    {
        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Keep the structured values too: a secret passed as an argument must be caught even if the
            // template happened not to print it.
            string values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            owner.Add(new CapturedLog(category, logLevel, eventId, formatter(state, exception) + " " + values, exception?.ToString()));
        }
    }
}
