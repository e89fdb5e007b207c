// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Gpio;

/// <summary>Every log message KeyCustody.Gpio writes (event ids 6000–6099). None carries a secret: there are none here.</summary>
internal static partial class GpioLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Presence button ready: {Description}")]
    internal static partial void ButtonOpened(ILogger logger, string description);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "{Description}: the kernel reported lost events; a press in progress was discarded")]
    internal static partial void EventsLost(ILogger logger, string description);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Debug, Message = "{Description}: press of {DurationMs} ms")]
    internal static partial void PressReported(ILogger logger, string description, double durationMs);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "{Description}: the kernel refused a debounce period ({Errno}); software debounce only")]
    internal static partial void KernelDebounceRefused(ILogger logger, string description, string errno);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "{Description}: the source reached end of file; no more presses")]
    internal static partial void SourceEnded(ILogger logger, string description);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "{Path} is not an input device (EVIOCGNAME failed); reading it as a stream of input_event records")]
    internal static partial void NotAnInputDevice(ILogger logger, string path);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Simulated presence button listening on {SocketPath}")]
    internal static partial void SimulatedListening(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Simulated presence button pressed for {DurationMs} ms")]
    internal static partial void SimulatedPress(ILogger logger, double durationMs);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Simulated presence button rejected a request: {Reason}")]
    internal static partial void SimulatedRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Simulated presence button connection failed")]
    internal static partial void SimulatedConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Debug, Message = "Indicator LED {Name} set to {State}")]
    internal static partial void LedSet(ILogger logger, string name, Core.Ports.LedState state);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Indicator LED {Name} could not be switched off on shutdown")]
    internal static partial void LedOffFailed(ILogger logger, string name, Exception exception);
}
