// SPDX-License-Identifier: Apache-2.0
using System.Text.RegularExpressions;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// The appliance as Debian installs it: <c>./build.sh package</c> builds the .deb from the tested build and lints it
/// with the real lintian; dpkg-deb shows what it holds; systemd-analyze scores the hardened unit.
/// </summary>
public sealed partial class AppliancePackageTests : IClassFixture<AppliancePackageTests.PackageFixture>
{
    private readonly PackageFixture _package;

    public AppliancePackageTests(PackageFixture package) => _package = package;

    [Fact]
    public void Package_BuildAndLintian_SucceedWithoutErrors()
    {
        // Arrange, Act: the fixture ran ./build.sh package (which runs lintian --fail-on error).
        ProcessResult build = _package.Build;

        // Assert
        Assert.True(build.ExitCode == 0, $"./build.sh package failed:\n{build.StandardError}\n{build.StandardOutput}");
        Assert.True(File.Exists(_package.DebPath), $"no package at {_package.DebPath}");
        Assert.DoesNotMatch(LintianError(), build.StandardError);
    }

    [Fact]
    public async Task Package_Control_IsArchitectureAllAndDependsOnTheNativeLibraries()
    {
        // Arrange, Act
        ProcessResult info = await ProcessRunner.RunAsync(RequiredTool.Find("dpkg-deb"), "-f", _package.DebPath);

        // Assert
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("Architecture: all", info.StandardOutput);
        Assert.Matches(@"Depends:.*\blibtss2-fapi1\b.*\blibtss2-tcti-device0\b", info.StandardOutput);
    }

    [Fact]
    public async Task Package_Contents_HoldDaemonWrappersUnitConfigAndUdevRules()
    {
        // Arrange
        string[] expected =
        [
            "./usr/lib/keycustody/keycustodyd.dll", "./usr/lib/keycustody/keycustody.dll",
            "./usr/lib/keycustody/keycustodyd.runtimeconfig.json", "./usr/bin/keycustodyd", "./usr/bin/keycustody",
            "./lib/systemd/system/keycustody.service", "./etc/keycustody/keycustody.json",
            "./lib/udev/rules.d/90-keycustody.rules", "./usr/share/doc/keycustody/copyright",
        ];

        // Act
        ProcessResult contents = await ProcessRunner.RunAsync(RequiredTool.Find("dpkg-deb"), "-c", _package.DebPath);
        ProcessResult conffiles = await ProcessRunner.RunAsync(RequiredTool.Find("dpkg-deb"), "-I", _package.DebPath, "conffiles");

        // Assert
        Assert.Equal(0, contents.ExitCode);
        string[] paths = [.. contents.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1])];
        Assert.All(expected, e => Assert.Contains(e, paths));
        Assert.DoesNotContain(paths, p => p.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.Equal("/etc/keycustody/keycustody.json", conffiles.StandardOutput.Trim());
    }

    [Fact]
    public async Task Unit_SystemdAnalyzeSecurity_ScoresOkOrBetter()
    {
        // Arrange
        string unit = Path.Combine(PackageFixture.RepositoryRoot, "image", "keycustody.service");

        // Act
        ProcessResult result = await ProcessRunner.RunAsync(RequiredTool.Find("systemd-analyze"), "security", "--offline=yes", "--no-pager", unit);

        // Assert
        Match overall = OverallExposure().Match(result.StandardOutput);
        Assert.True(overall.Success, $"no overall exposure line:\n{result.StandardOutput}\n{result.StandardError}");
        Assert.Contains(overall.Groups["level"].Value, new[] { "SAFE", "OK" });
        Assert.True(double.Parse(overall.Groups["score"].Value, System.Globalization.CultureInfo.InvariantCulture) < 4.0);
    }

    [GeneratedRegex(@"(?m)^E: ")]
    private static partial Regex LintianError();

    [GeneratedRegex(@"Overall exposure level for keycustody\.service: (?<score>[0-9.]+) (?<level>[A-Z]+)")]
    private static partial Regex OverallExposure();

    /// <summary>Builds the package once for the class, from the build the tests run on, into a private directory.</summary>
    public sealed class PackageFixture : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new("kc-package");

        /// <summary>The repository (the directory holding build.sh).</summary>
        public static string RepositoryRoot { get; } = FindRoot();

        /// <summary>The result of ./build.sh package.</summary>
        public ProcessResult Build { get; private set; } = null!;

        /// <summary>Where the .deb was written.</summary>
        public string DebPath { get; private set; } = string.Empty;

        /// <inheritdoc />
        public async Task InitializeAsync()
        {
            RequiredTool.Find("lintian");
            RequiredTool.Find("dpkg-deb");
            Build = await ProcessRunner.RunAsync(
                Path.Combine(RepositoryRoot, "build.sh"),
                ["package"],
                new Dictionary<string, string> { ["PACKAGE_OUT"] = _directory.Path, ["PACKAGE_NO_BUILD"] = "1" },
                workingDirectory: RepositoryRoot,
                timeout: TimeSpan.FromMinutes(15));
            DebPath = Build.StandardOutput.Trim().Split('\n')[^1];
        }

        /// <inheritdoc />
        public Task DisposeAsync()
        {
            _directory.Dispose();
            return Task.CompletedTask;
        }

        private static string FindRoot()
        {
            for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "build.sh")) && Directory.Exists(Path.Combine(d.FullName, "image")))
                {
                    return d.FullName;
                }
            }

            throw new DirectoryNotFoundException("build.sh not found above " + AppContext.BaseDirectory);
        }
    }
}
