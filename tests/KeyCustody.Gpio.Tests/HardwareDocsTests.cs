// SPDX-License-Identifier: Apache-2.0
using System.Text.RegularExpressions;

namespace KeyCustody.Gpio.Tests;

/// <summary>The hardware/ documents and the driver defaults must describe the same appliance.</summary>
public partial class HardwareDocsTests
{
    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KeyCustody.sln")))
            {
                return File.ReadAllText(Path.Combine([dir.FullName, .. parts]));
            }
        }

        throw new InvalidOperationException("KeyCustody.sln not found above the test output directory.");
    }

    [Fact]
    public void ConfigTxt_GpioKeyOverlay_EmitsTheDriversDefaultKeyCode()
    {
        // Arrange
        string config = RepoFile("hardware", "config.txt");

        // Act
        Match overlay = GpioKeyLine().Match(config);

        // Assert
        Assert.True(overlay.Success, "config.txt has no dtoverlay=gpio-key line.");
        Assert.Equal(EvdevButton.DefaultKeyCode.ToString(System.Globalization.CultureInfo.InvariantCulture), overlay.Groups["code"].Value);
        Assert.Contains("active_low=1", overlay.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigTxt_GpioLedOverlay_LabelIsTheDefaultLedName()
    {
        // Arrange
        string config = RepoFile("hardware", "config.txt");

        // Act
        Match overlay = GpioLedLine().Match(config);

        // Assert
        Assert.True(overlay.Success, "config.txt has no dtoverlay=gpio-led line.");
        Assert.Equal(new LedOptions().Name, overlay.Groups["label"].Value);
        Assert.Contains("trigger=none", overlay.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void UdevRules_ButtonRule_MatchesKeyCodeAndCreatesTheDefaultDeviceLink()
    {
        // Arrange
        string rules = RepoFile("hardware", "udev", "90-keycustody.rules");

        // Act
        string buttonRule = rules.Split('\n').Single(line => line.Contains("gpio-keys", StringComparison.Ordinal) && !line.StartsWith('#'));

        // Assert
        Assert.Contains($"ATTRS{{keys}}==\"{EvdevButton.DefaultKeyCode}\"", buttonRule, StringComparison.Ordinal);
        Assert.Contains($"SYMLINK+=\"{EvdevButton.DefaultDevicePath["/dev/".Length..]}\"", buttonRule, StringComparison.Ordinal);
        Assert.Contains("MODE=\"0640\"", buttonRule, StringComparison.Ordinal);
    }

    [Fact]
    public void UdevRules_LedRule_NamesTheDefaultLed()
    {
        // Arrange
        string rules = RepoFile("hardware", "udev", "90-keycustody.rules");

        // Act
        string ledRule = rules.Split('\n').Single(line => line.Contains("SUBSYSTEM==\"leds\"", StringComparison.Ordinal) && !line.StartsWith('#'));

        // Assert
        Assert.Contains($"KERNEL==\"{new LedOptions().Name}\"", ledRule, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^dtoverlay=gpio-key,.*\bkeycode=(?<code>\d+).*$", RegexOptions.Multiline)]
    private static partial Regex GpioKeyLine();

    [GeneratedRegex(@"^dtoverlay=gpio-led,.*\blabel=(?<label>[^,\s]+).*$", RegexOptions.Multiline)]
    private static partial Regex GpioLedLine();
}
