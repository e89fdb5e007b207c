// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Testing;

/// <summary>
/// Finds the external tools integration tests drive (softhsm2-util, swtpm, openssl, ssh-keygen, …).
/// A missing tool is a test failure with the install hint, never a skip: `./build.sh setup` installs them all.
/// </summary>
public static class RequiredTool
{
    /// <summary>Returns the absolute path of <paramref name="name"/> (on PATH or absolute) or throws with a hint.</summary>
    public static string Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : throw Missing(name);
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw Missing(name);
    }

    /// <summary>Returns <paramref name="path"/> when the file exists (a native module, say) or throws with a hint.</summary>
    public static string FindFile(string path) => File.Exists(path) ? path : throw Missing(path);

    private static InvalidOperationException Missing(string name) =>
        new($"Required tool '{name}' was not found. Run './build.sh setup' to install the test dependencies.");
}
