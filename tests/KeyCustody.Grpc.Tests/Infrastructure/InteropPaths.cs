// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>Locates the interop peers (scripts, echo.proto, node_modules) in the source tree.</summary>
public static class InteropPaths
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string> s_directory = new(Find);

    /// <summary>The tests' interop folder.</summary>
    public static string Directory => s_directory.Value;

    public static string File(string name) => Path.Combine(Directory, name);

    /// <summary>The repository's proto folder (holds grpc/health/v1/health.proto).</summary>
    public static string ProtoRoot => Path.GetFullPath(Path.Combine(Directory, "..", "..", "..", "proto"));

    /// <summary>The standard health proto, as compiled into KeyCustody.Grpc.</summary>
    public static string HealthProto => Path.Combine(ProtoRoot, "grpc", "health", "v1", "health.proto");

    /// <summary>Node's @grpc/grpc-js must have been installed (`./build.sh setup` runs npm install here).</summary>
    public static void RequireNodeModules()
    {
        string grpcJs = Path.Combine(Directory, "node_modules", "@grpc", "grpc-js", "package.json");
        if (!System.IO.File.Exists(grpcJs))
        {
            throw new InvalidOperationException(
                $"@grpc/grpc-js is not installed in {Directory}. Run './build.sh setup' (or 'npm install' in that folder).");
        }
    }

    private static string Find()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "interop");
            if (System.IO.File.Exists(Path.Combine(candidate, "echo.proto")) &&
                System.IO.File.Exists(Path.Combine(dir.FullName, "KeyCustody.Grpc.Tests.csproj")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("The interop folder (tests/KeyCustody.Grpc.Tests/interop) was not found above " + AppContext.BaseDirectory);
    }
}
