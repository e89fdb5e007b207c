// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Gpio;

/// <summary>Creates the button and LED drivers the configuration names. The daemon's one entry point into this project.</summary>
public static class PresenceDeviceFactory
{
    /// <summary>The default GPIO chip for <see cref="ButtonKind.Gpiochip"/>.</summary>
    public const string DefaultGpioChip = "/dev/gpiochip0";

    /// <summary>Validates <paramref name="options"/> and opens the button (the device is opened now, so wiring
    /// and permission problems surface at startup).</summary>
    /// <exception cref="Core.CustodyException">InvalidArgument for bad options; NotProvisioned, Unsupported or
    /// DeviceFault from the driver, with the path and how to fix it.</exception>
    public static IPresenceButton CreateButton(ButtonOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        TimeSpan debounce = TimeSpan.FromMilliseconds(options.DebounceMilliseconds);
        switch (options.Kind)
        {
            case ButtonKind.Evdev:
            {
                ILogger logger = loggerFactory.CreateLogger<EvdevButton>();
                string device = options.Name is { } name
                    ? EvdevDeviceLocator.FindByName(name)
                    : options.Device ?? EvdevButton.DefaultDevicePath;
                return EvdevButton.Open(device, options.KeyCode, debounce, timeProvider, logger);
            }

            case ButtonKind.Gpiochip:
            {
                ILogger logger = loggerFactory.CreateLogger<GpioChipButton>();
                string chip = options.Name is { } label
                    ? GpioChipButton.FindChip(label)
                    : options.Device ?? DefaultGpioChip;
                return GpioChipButton.Open(chip, options.Line!.Value, options.ActiveLow, options.Bias, debounce, timeProvider, logger);
            }

            default:
                return SimulatedPresenceButton.Start(options.SocketPath!, timeProvider, loggerFactory.CreateLogger<SimulatedPresenceButton>());
        }
    }

    /// <summary>Validates <paramref name="options"/> and opens the LED.</summary>
    /// <exception cref="Core.CustodyException">InvalidArgument for bad options; NotProvisioned when the LED does not exist.</exception>
    public static IIndicatorLed CreateLed(LedOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        return options.Kind switch
        {
            LedKind.Sysfs => SysfsIndicatorLed.Open(
                options.Name,
                options.Root,
                TimeSpan.FromMilliseconds(options.BlinkOnMilliseconds),
                TimeSpan.FromMilliseconds(options.BlinkOffMilliseconds),
                loggerFactory.CreateLogger<SysfsIndicatorLed>()),
            LedKind.Simulated => new SimulatedIndicatorLed(),
            _ => new NoIndicatorLed(),
        };
    }
}
