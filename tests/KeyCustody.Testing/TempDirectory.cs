// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Testing;

/// <summary>A private temporary directory removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates a fresh directory under the system temp folder.</summary>
    public TempDirectory(string prefix = "keycustody-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    /// <summary>The directory's absolute path.</summary>
    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the OS temp cleaner gets it.
        }
    }
}
