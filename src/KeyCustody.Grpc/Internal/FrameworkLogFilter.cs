// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// Hands Kestrel and the ASP.NET Core host the caller's logger factory, but with their categories ("Microsoft.*")
/// raised to a minimum level: they log every request at Information, which would drown the appliance's own log.
/// </summary>
internal sealed class FrameworkLogFilter(ILoggerFactory inner, LogLevel frameworkMinimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.", StringComparison.Ordinal) ? new Filtered(logger, frameworkMinimum) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The caller owns the inner factory.
    }

    private sealed class Filtered(ILogger inner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
